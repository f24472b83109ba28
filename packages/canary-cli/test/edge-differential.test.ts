// The lab's edge held to real Traefik, request by request. Both get the same rendered
// objects (integration-001 with the sample PRs): Traefik reads them from a local control
// plane (kubernetescrd, the chart's entrypoints and options) with echo backends in a
// network namespace; the lab's edge reads them as the lab does, with echo backends on
// loopback. A corpus of 360 requests goes to both; each must reach the same Service with
// the same routing headers, or be a difference docs/lab.md names and explains.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { edgeFactory, type LabEdge, type LabObject } from 'local-runtime/lab';
import { Routers } from 'local-runtime/routing';
import { GUARDED_ENTRYPOINT, readIngressRoute } from 'routing-model/traefik';
import { loadCatalogue, STABLE_NAMESPACE } from 'service-catalogue';
import { findGo, goSkipReason } from 'upstream-tools';
import { type ControlPlane, startControlPlane } from '../src/cluster/control-plane.ts';
import { installCrds } from '../src/cluster/crds.ts';
import { edgeServices, meshServices, type ServiceKey, wireBackends } from '../src/cluster/edge-backends.ts';
import { type EchoReply, echoServer, grpcEchoServer } from '../src/cluster/edge-echo.ts';
import { waitForRouters, waitForServers } from '../src/cluster/edge-probe.ts';
import { KubeApi } from '../src/cluster/kube-api.ts';
import { createTestHosts, type TestHosts, testHostsUnavailableReason } from '../src/cluster/test-hosts.ts';
import { type RunningTraefik, startTraefik } from '../src/cluster/traefik.ts';
import { verifyScenesInCluster } from '../src/cluster/verify-cluster.ts';
import { waitFor } from '../src/cluster/wait.ts';
import { flattenApplications } from '../src/gitops/argo.ts';
import { CANARY_ENVIRONMENT } from '../src/gitops/render.ts';
import type { Scene } from '../src/gitops/rules/types.ts';
import { verifyRepository } from '../src/gitops/verify.ts';
import {
  buildCorpus,
  buildGrpcCorpus,
  type CorpusRequest,
  type GrpcAnswer,
  type RawAnswer,
  sendGrpc,
  sendRaw,
} from './edge-corpus.ts';
import { kubectlMissing } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const goMissing = await goSkipReason();
const edgeMissing = process.env.CI === 'true' ? false : ((await testHostsUnavailableReason()) ?? false);

/** What a request led to, in the terms both edges share. */
interface Outcome {
  /** `namespace/name` of the Service reached, or `HTTP <status>` when none was. */
  readonly reached: string;
  /** Routing and forwarding headers as the backend got them. */
  readonly xCanary: readonly string[];
  readonly baggage: readonly string[];
  readonly forwardedFor: readonly string[];
}

function outcomeOf(answer: RawAnswer, service: (reply: EchoReply) => ServiceKey | undefined): Outcome {
  if ((answer.headers['x-echo'] ?? [])[0] !== '1')
    return { reached: `HTTP ${answer.status}`, xCanary: [], baggage: [], forwardedFor: [] };
  const reply = JSON.parse(answer.body) as EchoReply;
  return {
    reached: service(reply) ?? `unknown backend ${reply.address}:${reply.port}`,
    xCanary: reply.headers['x-canary'] ?? [],
    baggage: reply.headers.baggage ?? [],
    forwardedFor: reply.headers['x-forwarded-for'] ?? [],
  };
}

/**
 * Differences kept on purpose, each explained in docs/lab.md under the same name. A
 * disagreement is accepted only when one of these describes it.
 */
const DELIBERATE: ReadonlyArray<{
  readonly name: string;
  readonly applies: (req: CorpusRequest, lab: Outcome, traefik: Outcome) => boolean;
}> = [];

describe('the lab edge against real Traefik, request by request', {
  skip: kubectlMissing || goMissing || edgeMissing,
}, () => {
  let workDir: string;
  let plane: ControlPlane;
  let hosts: TestHosts;
  let traefik: RunningTraefik;
  let lab: LabEdge;
  let scene: Scene;
  let traefikBackends: Map<string, ServiceKey>;
  const labServers: Array<Pick<Server, 'close'>> = [];
  const labBackends = new Map<number, ServiceKey>();
  let apiHost = '';
  let routers: Routers;
  let api: KubeApi;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'edge-differential-'));
    const quiet = () => {};
    plane = await startControlPlane({ dir: join(workDir, 'plane'), progress: quiet });
    const config = new KubeConfig();
    config.loadFromFile(plane.kubeconfig);
    api = new KubeApi(config);
    await installCrds(api, await findGo(), quiet);
    const report = await verifyRepository(repoRoot);
    scene = report.scenes.find((s) => s.name === CANARY_ENVIRONMENT) as Scene;
    await verifyScenesInCluster(repoRoot, [scene], api, quiet, { prune: false });
    const objects = flattenApplications([...scene.stable, ...scene.canary]).flatMap((a) => a.objects);
    const edgeObjects = objects.filter(
      (o) => o.object.kind === 'IngressRoute' || o.object.kind === 'Middleware',
    );

    hosts = await createTestHosts(6);
    traefik = await startTraefik({
      kubeconfig: plane.kubeconfig,
      dir: workDir,
      progress: quiet,
      gateway: true,
    });
    const backendServices = [...new Set([...edgeServices(objects), ...meshServices(objects)])];
    traefikBackends = await wireBackends(api, hosts, backendServices);
    await waitForRouters(
      traefik,
      edgeObjects.filter((o) => o.object.kind === 'IngressRoute'),
    );
    const addressesOf = (keys: readonly ServiceKey[]) =>
      [...traefikBackends].filter(([, key]) => keys.includes(key)).map(([address]) => address);
    assert.ok(
      await waitForServers(traefik, addressesOf(edgeServices(objects))),
      'Traefik picked up every edge backend',
    );

    // The lab's side: one echo server per Service on loopback (h2c for the mesh's gRPC
    // Services, as their Service ports declare), the edge as the lab makes it.
    const grpcServices = meshServices(objects);
    for (const key of backendServices) {
      const server = grpcServices.includes(key) ? grpcEchoServer() : echoServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      labServers.push(server);
      labBackends.set((server.address() as AddressInfo).port, key);
    }
    const addressOf = new Map([...labBackends].map(([port, key]) => [key, `127.0.0.1:${port}`]));
    const internal = edgeObjects
      .filter((o) => o.object.kind === 'IngressRoute')
      .map((o) => readIngressRoute(o.object))
      .find((r) => r.namespace === STABLE_NAMESPACE && r.entryPoints.includes(GUARDED_ENTRYPOINT));
    apiHost = internal?.routes.flatMap((r) => r.hosts)[0] ?? '';
    lab = edgeFactory('emulated')({
      entryPoints: { internal: 0, websecure: 0 },
      guardedEntryPoints: ['internal'],
      host: apiHost,
      resolve: (ref) => {
        const address = addressOf.get(`${ref.namespace}/${ref.name}`);
        return address === undefined ? { kind: 'down', reason: 'not in the test' } : { kind: 'up', address };
      },
    });
    await lab.start(edgeObjects.map((o) => o.object as LabObject));

    // The mesh: the lab's mesh routers, and Traefik's GRPCRoute implementation behind a
    // Gateway whose routes are the rendered GRPCRoutes with the Gateway as their parent.
    const meshObjects = objects.filter((o) => o.object.kind === 'GRPCRoute').map((o) => o.object);
    routers = new Routers(loadCatalogue(repoRoot), (ref) => {
      const address = addressOf.get(`${ref.namespace}/${ref.name}`);
      return address === undefined ? { kind: 'down', reason: 'not in the test' } : { kind: 'up', address };
    });
    await routers.listenMesh(meshObjects as LabObject[]);
    await api.apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'canary-verify' },
      spec: { controllerName: 'traefik.io/gateway-controller' },
    });
    await api.apply({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'mesh-check', namespace: STABLE_NAMESPACE },
      spec: {
        gatewayClassName: 'canary-verify',
        listeners: [
          {
            name: 'grpc',
            port: traefik.gatewayPort,
            protocol: 'HTTP',
            allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'GRPCRoute' }] },
          },
        ],
      },
    });
    for (const route of meshObjects)
      await api.apply({
        ...route,
        metadata: { name: `${route.metadata.name}-via-gateway`, namespace: route.metadata.namespace },
        spec: {
          ...(route.spec as object),
          parentRefs: [{ name: 'mesh-check', namespace: STABLE_NAMESPACE, sectionName: 'grpc' }],
        },
      });
    const gatewayRouters = meshObjects.reduce(
      (n, r) => n + ((r.spec as { rules?: unknown[] }).rules?.length ?? 0),
      0,
    );
    assert.ok(
      await waitFor(
        async () =>
          (await traefik.routers()).filter((r) => r.provider === 'kubernetesgateway').length >=
          gatewayRouters,
        30_000,
      ),
      `Traefik made routers of the ${meshObjects.length} GRPCRoutes: ${JSON.stringify((await traefik.routers()).filter((r) => r.provider === 'kubernetesgateway').map((r) => [r.name, r.status, r.error]))}`,
    );
    assert.ok(
      await waitForServers(traefik, addressesOf(meshServices(objects))),
      'Traefik picked up every mesh backend',
    );
  });

  after(async () => {
    await lab?.close();
    await routers?.closeMesh();
    for (const server of labServers) server.close();
    await traefik?.stop();
    await hosts?.close();
    await plane?.stop(true);
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  it('routes a corpus of at least 300 requests to the same Service with the same headers, or differs only as docs/lab.md says', async (t) => {
    const prs = scene.pullRequests;
    const withEdge = prs.find((p) => p.labels.includes('canary:api-service'))?.number ?? 0;
    const withoutEdge = prs.find((p) => !p.labels.includes('canary:api-service'))?.number ?? 0;
    const largest = Math.max(...prs.map((p) => p.number));
    const corpus = buildCorpus(apiHost, { withEdge, withoutEdge, unknown: 8, largest });
    assert.ok(corpus.length >= 300, `corpus of ${corpus.length}`);
    const disagreements: string[] = [];
    const deliberate = new Map<string, number>();
    for (const request of corpus) {
      const viaLab = outcomeOf(await sendRaw(lab.ports[request.entrypoint] as number, false, request), (r) =>
        labBackends.get(r.port),
      );
      const viaTraefik = outcomeOf(
        await sendRaw(traefik.ports[request.entrypoint], request.entrypoint === 'websecure', request),
        (r) => traefikBackends.get(r.address),
      );
      if (JSON.stringify(viaLab) === JSON.stringify(viaTraefik)) continue;
      const known = DELIBERATE.find((d) => d.applies(request, viaLab, viaTraefik));
      if (known !== undefined) {
        deliberate.set(known.name, (deliberate.get(known.name) ?? 0) + 1);
        continue;
      }
      disagreements.push(
        `${request.id} ${request.path} Host ${request.host} [${request.lines.join(' | ')}]\n    lab:     ${JSON.stringify(viaLab)}\n    traefik: ${JSON.stringify(viaTraefik)}`,
      );
    }
    const docs = readFileSync(join(repoRoot, 'docs', 'lab.md'), 'utf8');
    for (const name of deliberate.keys()) assert.ok(docs.includes(name), `docs/lab.md explains "${name}"`);
    t.diagnostic(
      `traefik ${traefik.version}: ${corpus.length} requests; ${disagreements.length} undocumented disagreements; ` +
        `deliberate differences: ${[...deliberate].map(([n, c]) => `${n} (${c})`).join(', ') || 'none'}`,
    );
    assert.deepEqual(
      disagreements,
      [],
      `${disagreements.length} disagreements:\n${disagreements.join('\n')}`,
    );
  });

  it("routes gRPC calls as Traefik's GRPCRoute implementation does with the same GRPCRoutes (method and x-canary matches)", async (t) => {
    const mesh = scene.pullRequests
      .filter((p) => p.labels.includes('canary:store-service'))
      .map((p) => p.number);
    const corpus = buildGrpcCorpus('store.v1.StoreService', { withMesh: mesh, unknown: 8 });
    const outcome = (a: GrpcAnswer, service: (r: EchoReply) => ServiceKey | undefined) => {
      if (a.echo === undefined) return `HTTP ${a.status}, no backend`;
      const reply = JSON.parse(a.echo) as EchoReply;
      return `${service(reply) ?? `unknown ${reply.address}:${reply.port}`} x-canary ${JSON.stringify(reply.headers['x-canary'] ?? [])}`;
    };
    const labPort = Number(routers.meshAddress('store-service').split(':')[1]);
    const disagreements: string[] = [];
    for (const call of corpus) {
      const viaLab = outcome(await sendGrpc(labPort, call), (r) => labBackends.get(r.port));
      const viaTraefik = outcome(await sendGrpc(traefik.gatewayPort as number, call), (r) =>
        traefikBackends.get(r.address),
      );
      if (viaLab !== viaTraefik)
        disagreements.push(
          `${call.id} ${JSON.stringify(call.canary)}\n    lab:     ${viaLab}\n    traefik: ${viaTraefik}`,
        );
    }
    t.diagnostic(
      `traefik ${traefik.version} GRPCRoutes behind a Gateway: ${corpus.length} calls; ${disagreements.length} disagreements`,
    );
    assert.deepEqual(
      disagreements,
      [],
      `${disagreements.length} disagreements:\n${disagreements.join('\n')}`,
    );
  });
});
