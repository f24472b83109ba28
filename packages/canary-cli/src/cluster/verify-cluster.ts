import { flattenApplications, type RenderedApplication } from '../gitops/argo.ts';
import { at, type RenderedObject } from '../gitops/objects.ts';
import type { Finding, Scene } from '../gitops/rules/types.ts';
import { type EdgeProbeSummary, probeEdge } from './edge-probe.ts';
import type { KubeApi } from './kube-api.ts';
import { checkPodMounts, observeDeployments } from './observe.ts';
import { prerequisites } from './prerequisites.ts';
import { checkReferences } from './references.ts';
import { pruneApplication, refusal, type SyncRecord, syncApplication } from './sync.ts';
import type { TestHosts } from './test-hosts.ts';
import type { RunningTraefik } from './traefik.ts';
import { waitFor } from './wait.ts';

export interface SceneTiming {
  readonly scene: string;
  readonly objects: number;
  readonly seconds: number;
}

export interface ClusterReport {
  readonly findings: Finding[];
  readonly timings: SceneTiming[];
}

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

async function applyAll(api: KubeApi, items: readonly RenderedObject[], record: SyncRecord): Promise<void> {
  for (const item of items) {
    try {
      await api.apply(item.object);
      record.applied.push(item);
    } catch (err) {
      record.findings.push(refusal(item, err));
    }
  }
}

/** Removes what a scene left (namespaces and cluster-scoped objects) so the next environment starts clean. */
export async function resetCluster(api: KubeApi): Promise<void> {
  for (const issuer of await api.list('cert-manager.io/v1', 'ClusterIssuer').catch(() => []))
    await api
      .delete({
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: String(at(issuer, 'metadata', 'name')) },
      })
      .catch(() => undefined);
  const namespaces = (await api.list('v1', 'Namespace'))
    .map((n) => String((n.metadata as { name: string }).name))
    .filter((n) => !PROTECTED_NAMESPACES.has(n));
  // No Argo CD controller runs here to honour the resources finalizer of the Applications.
  for (const app of await api.list('argoproj.io/v1alpha1', 'Application').catch(() => []))
    await api
      .clearFinalizers({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: {
          name: String(at(app, 'metadata', 'name')),
          namespace: String(at(app, 'metadata', 'namespace')),
        },
      })
      .catch(() => undefined);
  // A finalizer nothing removes (what cluster-prune reports) would hold its namespace, and
  // every later scene, in Terminating: the previous scene's findings are already taken.
  for (const map of await api.list('v1', 'ConfigMap').catch(() => [])) {
    const meta = map.metadata as { name: string; namespace: string; finalizers?: string[] };
    if ((meta.finalizers ?? []).length === 0 || PROTECTED_NAMESPACES.has(meta.namespace)) continue;
    await api
      .clearFinalizers({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: meta.name, namespace: meta.namespace },
      })
      .catch(() => undefined);
  }
  for (const name of namespaces)
    await api.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch(() => undefined);
  // Deletion is foreground (the garbage collector finishes it): wait until all of it is gone,
  // or a re-apply would land on an object about to disappear.
  const clean = await waitFor(
    async () =>
      (await api.list('cert-manager.io/v1', 'ClusterIssuer')).length === 0 &&
      (await api.list('v1', 'Namespace')).every((n) =>
        PROTECTED_NAMESPACES.has(String((n.metadata as { name: string }).name)),
      ),
    90_000,
  );
  if (!clean)
    throw new Error('cluster: namespaces of the previous environment did not finish terminating in 90 s');
}

/**
 * Applies every environment and sample PR to the control plane as Argo CD would, reports
 * what the API server, its admission and the controllers refuse, then closes each sample
 * PR and reports what is left behind. Environments are separate clusters in reality: each
 * one starts from an empty cluster here.
 */
export async function verifyScenesInCluster(
  root: string,
  scenes: readonly Scene[],
  api: KubeApi,
  progress: (line: string) => void,
  options: {
    readonly prune?: boolean;
    /** The real Traefik and the hosts its backends live on: routes each scene through it. */
    readonly edge?: { readonly traefik: RunningTraefik; readonly hosts: TestHosts };
  } = {},
): Promise<ClusterReport> {
  const findings: Finding[] = [];
  const timings: SceneTiming[] = [];
  const prereqs = prerequisites(root);
  for (const scene of scenes) {
    const started = performance.now();
    let mark = started;
    const lap = (): string => {
      const now = performance.now();
      const took = ((now - mark) / 1000).toFixed(1);
      mark = now;
      return `${took} s`;
    };
    await resetCluster(api);
    const resetTook = lap();
    const record: SyncRecord = { applied: [], findings: [] };
    await applyAll(api, prereqs, record);
    // What `kubectl apply -k applications/<env>` creates, then what its Applications sync.
    await applyAll(
      api,
      [...scene.argo].sort(
        (a, b) => Number(b.object.kind === 'AppProject') - Number(a.object.kind === 'AppProject'),
      ),
      record,
    );
    const top: RenderedApplication[] = [...scene.stable, ...scene.canary];
    for (const app of top) {
      // Generated Applications are created by their ApplicationSet's controller.
      if (app.generatedBy !== undefined)
        await applyAll(api, [{ object: app.application, file: app.file }], record);
      await syncApplication(api, app, record);
    }
    const applied = record.applied;
    const objects = flattenApplications(top).reduce((n, a) => n + a.objects.length, 0) + scene.argo.length;
    progress(
      `${scene.name}: emptied in ${resetTook}; applied ${applied.length} objects (${record.findings.length} refused) in ${lap()}; waiting for the controllers ...`,
    );
    findings.push(...record.findings);
    findings.push(...(await observeDeployments(api, applied)));
    findings.push(...(await checkPodMounts(api, applied)));
    findings.push(...(await checkReferences(api, applied)));
    progress(`${scene.name}: controllers and references checked in ${lap()}`);
    if (options.edge !== undefined) {
      const edge: EdgeProbeSummary = await probeEdge(
        api,
        options.edge.traefik,
        options.edge.hosts,
        scene,
        applied,
      );
      findings.push(...edge.findings);
      progress(
        `${scene.name}: ${edge.probes} requests through Traefik ${options.edge.traefik.version} (${edge.routers} routers loaded), ${edge.findings.length} findings in ${lap()}`,
      );
    }
    if (options.prune !== false) {
      // Each PR closes on its own, as Argo CD prunes each PR's Applications independently.
      await Promise.all(
        scene.pullRequests.map(async (pr) => {
          const left: Finding[] = [];
          // A PR's Applications (one per service) are pruned independently too.
          await Promise.all(
            scene.canary
              .filter((a) => a.pullRequest === pr.number)
              .map((app) => pruneApplication(api, app, left)),
          );
          findings.push(...left);
          progress(
            `${scene.name}: closed PR ${pr.number}: ${left.length === 0 ? 'everything it created is gone' : `${left.length} objects left behind`}`,
          );
        }),
      );
      progress(`${scene.name}: sample PRs closed in ${lap()}`);
    }
    const seconds = (performance.now() - started) / 1000;
    timings.push({ scene: scene.name, objects, seconds });
    progress(`${scene.name}: done in ${seconds.toFixed(1)} s`);
  }
  return { findings, timings };
}
