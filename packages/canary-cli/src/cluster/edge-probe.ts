import { previewHost } from 'canary-context';
import { readIngressRoute } from 'routing-model/traefik';
import { canaryNamespace, type ServiceEntry, STABLE_NAMESPACE } from 'service-catalogue';
import { asArray, at, describe, type RenderedObject } from '../gitops/objects.ts';
import type { Finding, Scene } from '../gitops/rules/types.ts';
import {
  type EdgeAnswer,
  type EdgeRequest,
  edgeServices,
  type ServiceKey,
  sendThroughEdge,
  wireBackends,
} from './edge-backends.ts';
import type { KubeApi } from './kube-api.ts';
import { CLUSTER_RULES, clusterFinding } from './sync.ts';
import type { TestHosts } from './test-hosts.ts';
import type { RunningTraefik, TraefikItem } from './traefik.ts';
import { waitFor } from './wait.ts';

/** What one scene's probes did, for the progress line. */
export interface EdgeProbeSummary {
  readonly probes: number;
  readonly routers: number;
  readonly findings: Finding[];
}

/** The router names Traefik gives an IngressRoute's routes: `<namespace>-<name>-<hash>@kubernetescrd`. */
const routerPrefix = (o: RenderedObject): string =>
  `${o.object.metadata.namespace}-${o.object.metadata.name}-`;

/** The IngressRoute a router was made from (the longest matching name wins). */
function ingressRouteOf(name: string, routes: readonly RenderedObject[]): RenderedObject | undefined {
  return routes
    .filter((r) => name.startsWith(routerPrefix(r)))
    .sort((a, b) => routerPrefix(b).length - routerPrefix(a).length)[0];
}

const errorsOf = (item: TraefikItem): string =>
  item.error === undefined || item.error.length === 0 ? `status ${item.status}` : item.error.join('; ');

/** Routers and middlewares Traefik loaded but disabled, and IngressRoutes it loaded no router for. */
export function routerFindings(
  applied: readonly RenderedObject[],
  routers: readonly TraefikItem[],
  middlewares: readonly TraefikItem[],
  logTail: string,
): Finding[] {
  const findings: Finding[] = [];
  const ingressRoutes = applied.filter((o) => o.object.kind === 'IngressRoute');
  const crd = routers.filter((r) => r.provider === 'kubernetescrd');
  for (const router of crd) {
    if (router.status === 'enabled' && (router.error ?? []).length === 0) continue;
    const owner = ingressRouteOf(router.name.replace(/@.*$/, ''), ingressRoutes);
    if (owner === undefined) continue;
    findings.push(
      clusterFinding(
        CLUSTER_RULES.edgeRouter,
        owner,
        `Traefik disabled its router ${router.name} (${errorsOf(router)}): requests it should take fall through to the next router by priority`,
        'fix what Traefik names: usually a middleware or service reference (name, namespace) that does not resolve',
      ),
    );
  }
  for (const route of ingressRoutes) {
    const routes = asArray(at(route.object, 'spec', 'routes')).length;
    const loaded = crd.filter(
      (r) => ingressRouteOf(r.name.replace(/@.*$/, ''), ingressRoutes) === route,
    ).length;
    if (loaded >= routes) continue;
    const logged = logTail
      .split('\n')
      .filter((l) => l.includes(String(route.object.metadata.name)))
      .slice(-2)
      .join(' ');
    findings.push(
      clusterFinding(
        CLUSTER_RULES.edgeRouter,
        route,
        `Traefik loaded ${loaded} of its ${routes} routes as routers${logged === '' ? '' : `: ${logged}`}`,
        'make every service it names exist (kind, namespace, port) and every middleware resolve',
      ),
    );
  }
  for (const mw of middlewares.filter((m) => m.provider === 'kubernetescrd')) {
    if (mw.status === 'enabled' && (mw.error ?? []).length === 0) continue;
    const [namespace = ''] = mw.name.split('-');
    const owner = applied.find(
      (o) =>
        o.object.kind === 'Middleware' &&
        mw.name.startsWith(`${o.object.metadata.namespace}-${o.object.metadata.name}@`),
    );
    if (owner === undefined) continue;
    findings.push(
      clusterFinding(
        CLUSTER_RULES.edgeRouter,
        owner,
        `Traefik disabled the middleware ${mw.name} in ${namespace} (${errorsOf(mw)})`,
        'fix the middleware spec Traefik names',
      ),
    );
  }
  return findings;
}

interface Expectation {
  readonly what: string;
  readonly request: Omit<EdgeRequest, 'port'> & { readonly entrypoint: 'internal' | 'websecure' };
  readonly backend: ServiceKey;
  /** The X-Canary values the backend must receive ([] = none). */
  readonly canary: readonly string[];
  /** The object a wrong answer is reported on. */
  readonly subject: RenderedObject;
}

/** The stable IngressRoute (in apps, on `entrypoint`) that sends to the edge service `name`. */
function stableRoute(
  applied: readonly RenderedObject[],
  name: string,
  entrypoint: string,
): RenderedObject | undefined {
  return applied.find((o) => {
    if (o.object.kind !== 'IngressRoute') return false;
    const ingress = readIngressRoute(o.object);
    return (
      ingress.namespace === STABLE_NAMESPACE &&
      ingress.entryPoints.includes(entrypoint) &&
      ingress.routes.some((r) => r.services.some((s) => s.name === name && s.namespace === STABLE_NAMESPACE))
    );
  });
}

/** The first Host() of an IngressRoute's routes (as routing-model reads the rule). */
const hostOf = (route: RenderedObject): string | undefined =>
  readIngressRoute(route.object).routes.flatMap((r) => r.hosts)[0];

/**
 * What the edge must do in this scene, derived from the catalogue and the PRs' labels (not
 * from the routes under test): for every edge service, `X-Canary: N` on the guarded
 * entrypoint reaches PR N's canary when the PR deploys the service, and stable otherwise;
 * an unknown key and no key reach stable; the public entrypoint reaches stable and removes
 * the key; PR N's preview hostname reaches what `X-Canary: N` reaches, with the key set.
 */
export function expectations(scene: Scene, applied: readonly RenderedObject[]): Expectation[] {
  const out: Expectation[] = [];
  const edge = scene.context.catalogue.filter((s: ServiceEntry) => s.exposure === 'edge');
  const unused = String(Math.max(0, ...scene.pullRequests.map((p) => p.number)) + 1);
  for (const service of edge) {
    const internal = stableRoute(applied, service.name, 'internal');
    const publicRoute = stableRoute(applied, service.name, 'websecure');
    const stable = `${STABLE_NAMESPACE}/${service.name}`;
    if (internal !== undefined) {
      const host = hostOf(internal) ?? '';
      out.push(
        {
          what: `no X-Canary on the internal entrypoint (Host ${host})`,
          request: { entrypoint: 'internal', tls: false, host },
          backend: stable,
          canary: [],
          subject: internal,
        },
        {
          what: `X-Canary: ${unused} (no such PR) on the internal entrypoint (Host ${host})`,
          request: { entrypoint: 'internal', tls: false, host, headers: { 'X-Canary': unused } },
          backend: stable,
          canary: [unused],
          subject: internal,
        },
      );
      for (const pr of scene.pullRequests) {
        const deploys = pr.labels.includes(service.label);
        const target = deploys ? `${canaryNamespace(service, pr.number)}/${service.name}` : stable;
        const n = String(pr.number);
        const subject =
          applied.find(
            (o) =>
              o.object.kind === 'IngressRoute' &&
              readIngressRoute(o.object).routes.some((r) =>
                r.services.some((svc) => `${svc.namespace}/${svc.name}` === target),
              ) &&
              o.object.metadata.namespace === STABLE_NAMESPACE &&
              o !== internal,
          ) ?? internal;
        out.push(
          {
            what: `X-Canary: ${n} on the internal entrypoint (Host ${host}; PR ${n} ${deploys ? 'deploys' : 'does not deploy'} ${service.name})`,
            request: { entrypoint: 'internal', tls: false, host, headers: { 'X-Canary': n } },
            backend: target,
            canary: [n],
            subject,
          },
          {
            what: `PR ${n}'s preview hostname ${previewHost(n, host)} on the internal entrypoint`,
            request: { entrypoint: 'internal', tls: false, host: previewHost(n, host) },
            backend: target,
            canary: [n],
            subject,
          },
        );
        if (publicRoute !== undefined) {
          const publicHost = hostOf(publicRoute) ?? '';
          out.push({
            what: `X-Canary: ${n} on the public entrypoint (Host ${publicHost}, TLS)`,
            request: { entrypoint: 'websecure', tls: true, host: publicHost, headers: { 'X-Canary': n } },
            backend: stable,
            canary: [],
            subject: publicRoute,
          });
        }
      }
    }
    if (publicRoute !== undefined && scene.pullRequests.length === 0) {
      const publicHost = hostOf(publicRoute) ?? '';
      out.push({
        what: `X-Canary: 1 on the public entrypoint (Host ${publicHost}, TLS)`,
        request: { entrypoint: 'websecure', tls: true, host: publicHost, headers: { 'X-Canary': '1' } },
        backend: stable,
        canary: [],
        subject: publicRoute,
      });
    }
  }
  return out;
}

const describeAnswer = (a: EdgeAnswer): string =>
  a.backend === undefined
    ? `HTTP ${a.status} from Traefik itself (no backend)`
    : `${a.backend} with X-Canary ${JSON.stringify(a.received?.['x-canary'] ?? [])}`;

/**
 * Waits until Traefik made a router of every route of these IngressRoutes or, when some
 * never load (a finding), until their number stayed the same for 3 s. Bounded: 30 s.
 */
export async function waitForRouters(
  traefik: RunningTraefik,
  ingressRoutes: readonly RenderedObject[],
): Promise<void> {
  const routeCount = ingressRoutes.reduce((n, o) => n + asArray(at(o.object, 'spec', 'routes')).length, 0);
  const owned = (r: TraefikItem) => ingressRouteOf(r.name.replace(/@.*$/, ''), ingressRoutes) !== undefined;
  let last = -1;
  let since = Date.now();
  await waitFor(async () => {
    const count = (await traefik.routers()).filter(owned).length;
    if (count !== last) {
      last = count;
      since = Date.now();
    }
    return count >= routeCount || Date.now() - since > 3_000;
  }, 30_000);
}

/**
 * Waits (bounded: 30 s) until Traefik balances over an address for each of these
 * EndpointSlice addresses, so no probe meets a Service it has not picked up yet.
 */
export async function waitForServers(traefik: RunningTraefik, addresses: Iterable<string>): Promise<boolean> {
  const wanted = [...addresses];
  return waitFor(async () => {
    const urls = new Set(
      (await traefik.services()).flatMap((s) => (s.loadBalancer?.servers ?? []).map((server) => server.url)),
    );
    return wanted.every((address) => [...urls].some((url) => url.includes(`//${address}:`)));
  }, 30_000);
}

/**
 * The real Traefik in front of the scene's applied objects: every IngressRoute's Services
 * get echo backends in the test hosts, Traefik loads the routes from the API server, and
 * each expectation is sent through it and compared. Disabled routers and middlewares are
 * findings too.
 */
export async function probeEdge(
  api: KubeApi,
  traefik: RunningTraefik,
  hosts: TestHosts,
  scene: Scene,
  applied: readonly RenderedObject[],
): Promise<EdgeProbeSummary> {
  const services = edgeServices(applied);
  const backends = await wireBackends(api, hosts, services);
  const ingressRoutes = applied.filter((o) => o.object.kind === 'IngressRoute');
  await waitForRouters(traefik, ingressRoutes);
  await waitForServers(traefik, backends.keys());
  const owned = (r: TraefikItem) => ingressRouteOf(r.name.replace(/@.*$/, ''), ingressRoutes) !== undefined;
  const expected = expectations(scene, applied);
  const findings: Finding[] = [];
  for (const e of expected) {
    const port = traefik.ports[e.request.entrypoint];
    let answer: EdgeAnswer | undefined;
    let failure = '';
    // A backend Traefik has not picked up yet answers 503: retry that for a bounded while.
    await waitFor(async () => {
      try {
        answer = await sendThroughEdge({ ...e.request, port }, backends);
        return answer.status !== 503;
      } catch (err) {
        failure = (err as Error).message;
        return false;
      }
    }, 10_000);
    const received = answer?.received?.['x-canary'] ?? [];
    const right =
      answer !== undefined &&
      answer.backend === e.backend &&
      JSON.stringify(received) === JSON.stringify(e.canary);
    if (right) continue;
    findings.push(
      clusterFinding(
        CLUSTER_RULES.edge,
        e.subject,
        `real Traefik: ${e.what} reached ${answer === undefined ? `nothing (${failure})` : describeAnswer(answer)}; expected ${e.backend} with X-Canary ${JSON.stringify(e.canary)}`,
        `make the routes of ${describe(e.subject.object)} and its middlewares send this request where the catalogue and the PR's labels say`,
      ),
    );
  }
  const [routers, middlewares] = await Promise.all([traefik.routers(), traefik.middlewares()]);
  findings.push(...routerFindings(applied, routers, middlewares, traefik.logTail()));
  return { probes: expected.length, routers: routers.filter(owned).length, findings };
}
