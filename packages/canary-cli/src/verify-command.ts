import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ensureTool, findGo, REPO_ROOT } from 'upstream-tools';
import { UsageError } from './cli/spec.ts';
import { NO_CANARY_PULL, verifyApplicationSets } from './cluster/applicationsets.ts';
import { type ControlPlane, startControlPlane } from './cluster/control-plane.ts';
import { installCrds } from './cluster/crds.ts';
import { dryRunScene } from './cluster/dry-run.ts';
import { KubeApi } from './cluster/kube-api.ts';
import { CLUSTER_RULE_DESCRIPTIONS, CLUSTER_RULES } from './cluster/sync.ts';
import { createTestHosts, type TestHosts, testHostsUnavailableReason } from './cluster/test-hosts.ts';
import { type RunningTraefik, startTraefik } from './cluster/traefik.ts';
import { verifyScenesInCluster } from './cluster/verify-cluster.ts';
import { checkKubectl } from './gitops/kustomize.ts';
import { RULES } from './gitops/rules/index.ts';
import type { Finding, Scene } from './gitops/rules/types.ts';
import { verifyRepository } from './gitops/verify.ts';

export { UsageError };

export interface VerifyOptions {
  /** Also apply everything to a local control plane built from upstream sources. */
  readonly cluster?: boolean;
  /** Leave the control plane running afterwards (the next `--cluster` run reuses it); otherwise it is stopped, a reused one too. */
  readonly keepCluster?: boolean;
  /** Where the control plane keeps its state (default .tools/cluster). */
  readonly clusterDir?: string;
  /** Server-side dry run of one environment against the cluster of this kubeconfig. */
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly env?: string;
  /** With kubeconfig: dry-run the contents of namespaces that do not exist yet in throwaway namespaces. */
  readonly throwawayNamespaces?: boolean;
}

/** The folder of the control planes `verify --cluster` starts or reuses (one per environment below it). */
export const CLUSTER_DIR = join(REPO_ROOT, '.tools', 'cluster');

const printFindings = (findings: readonly Finding[]) => {
  for (const f of findings) {
    process.stdout.write(
      `✖ [${f.rule}] ${f.file}: ${f.object}${f.path === '' ? '' : ` ${f.path}`}: ${f.message}\n    fix: ${f.fix}\n`,
    );
  }
};

/** Renders every environment and the sample PRs, runs every rule (and the cluster layer), prints findings and a summary. */
export async function verifyCommand(repoRoot: string, options: VerifyOptions = {}): Promise<number> {
  // Without Go, --cluster says what to install before any work is done.
  const go = options.cluster === true ? await findGo() : undefined;
  await checkKubectl();
  const started = performance.now();
  const progress = (line: string) => process.stderr.write(`verify: ${line}\n`);
  const report = await verifyRepository(repoRoot, progress);
  printFindings(report.findings);
  const apps = report.scenes.reduce((n, s) => n + s.canary.length, 0);
  const failed = new Set(report.findings.map((f) => f.rule));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `verify: ${report.objectCount} objects in ${report.scenes.length} environments and ${apps} PR Applications; ` +
      `${RULES.length} rules, ${RULES.length - failed.size} passed, ${failed.size} failed (${report.findings.length} findings) in ${seconds} s\n`,
  );
  if (options.kubeconfig !== undefined) return dryRunCommand(report.scenes, report.findings.length, options);
  if (go === undefined) return report.findings.length === 0 ? 0 : 1;

  const clusterStarted = performance.now();
  const cluster = (line: string) => process.stderr.write(`verify --cluster: ${line}\n`);
  // Environments are separate clusters. The one with sample PRs (whose closing waits on the
  // namespace controller's 5 s grace per namespace) gets a control plane of its own; the
  // others share one, emptied between them. Installing the CRDs is CPU work for each plane,
  // so more planes than that cost more than they save on two cores.
  for (const tool of ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const) await ensureTool(tool);
  const base = options.clusterDir ?? CLUSTER_DIR;
  const groups = [
    report.scenes.filter((s) => s.pullRequests.length > 0),
    report.scenes.filter((s) => s.pullRequests.length === 0),
  ].filter((g) => g.length > 0);
  const planes: ControlPlane[] = [];
  const edges: Array<{ traefik?: RunningTraefik; hosts?: TestHosts }> = [];
  // The edge probes need backends in a network namespace (the API server refuses loopback
  // endpoints), which needs root; without it they are reported as not run.
  const edgeUnavailable = await testHostsUnavailableReason();
  if (edgeUnavailable !== undefined) cluster(`the real-Traefik edge checks do not run: ${edgeUnavailable}`);
  else await ensureTool('traefik');
  try {
    const results = await Promise.all(
      groups.map(async (scenes, index) => {
        const name = index === 0 ? 'pull-requests' : 'environments';
        const say = (line: string) => cluster(`${name}: ${line}`);
        const plane = await startControlPlane({ dir: join(base, name), progress: say });
        planes.push(plane);
        const config = new KubeConfig();
        config.loadFromFile(plane.kubeconfig);
        const api = new KubeApi(config);
        const crds = await installCrds(api, go, say);
        say(
          `${crds.definitions} CRDs established in ${crds.seconds.toFixed(1)} s: ${crds.sources.join('; ')}; stand-ins: ${crds.standIns.join(', ')}`,
        );
        let edge: { traefik: RunningTraefik; hosts: TestHosts } | undefined;
        if (edgeUnavailable === undefined) {
          const slot: { traefik?: RunningTraefik; hosts?: TestHosts } = {};
          edges.push(slot);
          slot.hosts = await createTestHosts(index);
          slot.traefik = await startTraefik({
            kubeconfig: plane.kubeconfig,
            dir: join(base, name),
            progress: say,
          });
          edge = { traefik: slot.traefik, hosts: slot.hosts };
          say(
            `Traefik ${slot.traefik.version} reads the routes from the API server; backends in network namespace ${slot.hosts.namespace}`,
          );
        }
        const result = await verifyScenesInCluster(
          repoRoot,
          scenes,
          api,
          cluster,
          edge === undefined ? {} : { edge },
        );
        const withPrs = scenes.find((s) => s.pullRequests.length > 0);
        if (withPrs === undefined) return result;
        // Argo CD's own ApplicationSet controller against the emulation, with one more PR
        // that carries no canary label (it must generate nothing).
        const pulls = [...withPrs.pullRequests, NO_CANARY_PULL];
        const sets = await verifyApplicationSets(repoRoot, withPrs, api, plane.kubeconfig, base, pulls, say);
        return { findings: [...result.findings, ...sets.findings], timings: result.timings };
      }),
    );
    const findings = results.flatMap((r) => r.findings);
    printFindings(findings);
    const notRun: string[] =
      edgeUnavailable === undefined ? [] : [CLUSTER_RULES.edge, CLUSTER_RULES.edgeRouter];
    const rules = Object.keys(CLUSTER_RULE_DESCRIPTIONS).filter((r) => !notRun.includes(r));
    const clusterFailed = new Set(findings.map((f) => f.rule));
    const versions = planes[0]?.versions ?? {};
    process.stdout.write(
      `verify --cluster: ${report.scenes.length} environments and ${report.scenes.reduce((n, s) => n + s.pullRequests.length, 0)} sample PRs applied to kube-apiserver ${versions['kube-apiserver']} ` +
        `(etcd ${versions.etcd}); ${rules.length} checks, ${rules.length - clusterFailed.size} passed, ${clusterFailed.size} failed ` +
        `(${findings.length} findings)${notRun.length === 0 ? '' : `, ${notRun.length} not run (${notRun.join(', ')})`} in ${((performance.now() - clusterStarted) / 1000).toFixed(1)} s\n`,
    );
    return report.findings.length === 0 && findings.length === 0 ? 0 : 1;
  } finally {
    for (const edge of edges) {
      await edge.traefik?.stop();
      await edge.hosts?.close();
    }
    if (options.keepCluster === true)
      for (const plane of planes)
        cluster(
          `control plane left running (${plane.server}; kubeconfig ${plane.kubeconfig}); the next --cluster run reuses it`,
        );
    else await Promise.all(planes.map((plane) => plane.stop(true)));
  }
}

/** `verify --kubeconfig FILE --env E`: the environment's objects, server-side dry-run against a real cluster. */
async function dryRunCommand(
  scenes: readonly Scene[],
  staticFindings: number,
  options: VerifyOptions,
): Promise<number> {
  const scene = scenes.find((s) => s.name === options.env);
  if (scene === undefined)
    throw new UsageError(
      `verify --kubeconfig needs --env with one of ${scenes.map((s) => s.name).join(', ')} (got ${JSON.stringify(options.env ?? '')})`,
    );
  const config = new KubeConfig();
  config.loadFromFile(options.kubeconfig as string);
  if (options.context !== undefined) {
    if (config.getContextObject(options.context) === null)
      throw new UsageError(
        `verify: context ${options.context} is not in ${options.kubeconfig} (contexts: ${config
          .getContexts()
          .map((c) => c.name)
          .join(', ')})`,
      );
    config.setCurrentContext(options.context);
  }
  const started = performance.now();
  const api = new KubeApi(config);
  const progress = (line: string) => process.stderr.write(`verify --kubeconfig: ${line}\n`);
  progress(
    `server-side dry run of ${scene.name} against ${api.server} (context ${config.getCurrentContext()}); nothing is stored`,
  );
  const result = await dryRunScene(api, scene, { throwaway: options.throwawayNamespaces === true, progress });
  printFindings(result.findings);
  const created = result.wouldCreate.length === 0 ? 'none' : result.wouldCreate.join(', ');
  process.stdout.write(
    `verify --kubeconfig: ${scene.name}: ${result.checked} objects dry-run, ${result.findings.length} findings; ` +
      `namespaces Argo CD would create: ${created}` +
      (result.unchecked === 0
        ? ''
        : `; ${result.unchecked} objects inside them not checked (add --throwaway-namespaces to dry-run them in temporary namespaces)`) +
      ` in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return staticFindings === 0 && result.findings.length === 0 ? 0 : 1;
}
