// Every command of `canary`, declared once: words, arguments, options, help and handler.
// main.ts runs them; `canary help`, `--help` and docs/cli.md (cli/reference.ts) print them.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPrNumber, MAX_PR_NUMBER } from 'canary-context';
import type { EdgeKind } from 'local-runtime/lab';
import { DEFAULT_DATA_DIR } from 'local-runtime/paths';
import { command, type Program, UsageError } from './cli/spec.ts';
import { CANARY_ENVIRONMENT } from './gitops/render.ts';

// The commands' modules are imported when a command runs: help and usage errors stay fast.

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** `--repo`: every command works on a checkout, this one unless told. */
const repo = {
  type: 'string',
  value: 'DIR',
  rare: true,
  help: 'the checkout to work on (default: the one this canary belongs to)',
} as const;
const repoRoot = (value: string | undefined) => value ?? REPO_ROOT;

const prNumber = (value: string | undefined, what = 'PR number') => {
  if (value === undefined || !isPrNumber(value)) {
    throw new UsageError(`expected a ${what} (1-${MAX_PR_NUMBER}), got ${JSON.stringify(value ?? '')}`);
  }
  return Number(value);
};

const portNumber = (value: string, flag: string) => {
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port > 65535)
    throw new UsageError(`${flag}: expected a port number (0-65535), got ${JSON.stringify(value)}`);
  return port;
};

/** The canaries' fault settings (api-service FAULT_DELAY_MS / FAULT_ERROR_RATIO), checked here. */
function faultEnv(delay: string | undefined, ratio: string | undefined): Record<string, string> | undefined {
  if (delay === undefined && ratio === undefined) return undefined;
  const env: Record<string, string> = {};
  if (delay !== undefined) {
    const ms = Number(delay);
    if (!/^[0-9]+$/.test(delay) || ms > 10_000)
      throw new UsageError(
        `lab add: --fault-delay-ms expects milliseconds from 0 to 10000, got ${JSON.stringify(delay)}`,
      );
    env.FAULT_DELAY_MS = String(ms);
  }
  if (ratio !== undefined) {
    const r = Number(ratio);
    if (ratio.trim() === '' || !Number.isFinite(r) || r < 0 || r > 1)
      throw new UsageError(
        `lab add: --fault-error-ratio expects a number from 0 to 1, got ${JSON.stringify(ratio)}`,
      );
    env.FAULT_ERROR_RATIO = String(r);
  }
  return env;
}

/**
 * `lab up` holds the edge and mesh routers and the supervisor in this process: started
 * without the lab's node flags and MALLOC_ARENA_MAX (LAB_NODE_FLAGS, labProcessEnv: V8
 * and glibc read them only at startup), it replaces itself with the same command under
 * them. process.execve keeps the pid, the terminal and the stdio, so signals, `kill <pid>`
 * and the recorded state mean this process. The services it starts do not inherit them.
 */
async function execWithLabSettings(): Promise<void> {
  const { forgetLabProcessEnv, labProcessEnv, missingLabNodeFlags } = await import('local-runtime/lab');
  const missing = missingLabNodeFlags(process.execArgv);
  const env = labProcessEnv(process.env);
  if ((missing.length > 0 || env !== undefined) && process.execve !== undefined) {
    process.execve(
      process.execPath,
      [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)],
      env ?? process.env,
    );
  }
  forgetLabProcessEnv(process.env);
}

/** --edge: one of the lab's edge implementations (the lab's module names them). */
async function edgeKind(value: string | undefined): Promise<EdgeKind> {
  const { EDGE_KINDS } = await import('local-runtime/lab');
  const kind = value ?? 'emulated';
  const known = EDGE_KINDS.find((k) => k === kind);
  if (known === undefined)
    throw new UsageError(`--edge must be one of ${EDGE_KINDS.join(', ')} (got ${JSON.stringify(kind)})`);
  return known;
}

const labUpCommand = command({
  path: ['lab', 'up'],
  summary: 'start the lab: every service on its stable track behind the edge (npm start runs this)',
  description: [
    'Embedded DynamoDB (data under .data/), every catalogue service on its stable track,',
    'a mesh router in front of each service reached through the mesh, and an edge router.',
    'Services that exit are restarted with backoff. Canaries are not kept: each lab up',
    'starts with stable only (lab add them again). Ctrl-C stops it all.',
    'With npm start, options follow --: npm start -- --port 8090 --public-port 8091',
  ],
  options: {
    port: {
      type: 'string',
      value: 'PORT',
      default: '8080',
      help: 'the guarded entrypoint (X-Canary honoured)',
    },
    'public-port': {
      type: 'string',
      value: 'PORT',
      default: '8081',
      help: 'the public entrypoint (X-Canary and baggage stripped)',
    },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      help: `where the store keeps its data (default: ${relative(REPO_ROOT, DEFAULT_DATA_DIR)} in the checkout)`,
    },
    'in-memory': { type: 'boolean', help: 'keep the data in memory only' },
    'stable-ref': { type: 'string', value: 'REF', help: "run stable from a git ref's code (e.g. main)" },
    observability: {
      type: 'boolean',
      help: "also run Prometheus (Debian's prometheus) with the manifests' rules: canary report needs it",
    },
    verbose: { type: 'boolean', help: "print every service's log lines, prefixed with its name" },
    edge: {
      type: 'string',
      value: 'KIND',
      default: 'emulated',
      help: "which edge serves the entrypoints: emulated (the lab's own Traefik model) or traefik (real Traefik, built from its Go module; needs Go 1.26+ the first time)",
    },
    repo,
  },
  examples: [
    'npm start',
    'npm start -- --observability',
    'npm start -- --port 8090 --public-port 8091',
    'npm start -- --edge traefik',
  ],
  run: async ({ values }) => {
    const port = portNumber(values.port, '--port');
    const publicPort = portNumber(values['public-port'], '--public-port');
    const edge = await edgeKind(values.edge);
    await execWithLabSettings();
    const { labUp } = await import('./lab-up.ts');
    return labUp({
      repoRoot: repoRoot(values.repo),
      port,
      publicPort,
      dataDir: values['in-memory'] ? undefined : (values['data-dir'] ?? DEFAULT_DATA_DIR),
      stableRef: values['stable-ref'],
      observability: values.observability,
      verbose: values.verbose,
      edge,
    });
  },
});

const labAddCommand = command({
  path: ['lab', 'add'],
  summary: "run PR N's canaries next to stable and load its routes",
  description: [
    "Run PR N's canaries next to stable (the working tree, or REF's code) and load the",
    'routes its rendered manifests define. Needs a running lab (npm start in another terminal).',
  ],
  positionals: [{ name: 'N', help: 'the PR number' }],
  options: {
    services: {
      type: 'string',
      value: 'S1,S2',
      help: 'catalogue names of the services to run as canaries (default: all)',
    },
    ref: {
      type: 'string',
      value: 'REF',
      help: "run this branch, tag or commit's code (a git worktree under .lab/worktrees, removed with the canary)",
    },
    'isolated-data': { type: 'boolean', help: 'give the canary a table of its own (dropped by lab rm)' },
    'fault-delay-ms': {
      type: 'string',
      value: 'MS',
      help: 'the canaries delay every /v1 request by MS (0-10000), to see canary report fail',
    },
    'fault-error-ratio': {
      type: 'string',
      value: 'R',
      help: 'the canaries fail a ratio R (0-1) of /v1 requests',
    },
    repo,
  },
  examples: [
    './canary lab add 123',
    './canary lab add 7 --services store-service',
    './canary lab add 9 --services api-service --ref my-branch',
  ],
  run: async ({ values, positionals }) => {
    const env = faultEnv(values['fault-delay-ms'], values['fault-error-ratio']);
    if (positionals[0] === undefined)
      throw new UsageError('lab add needs N, the PR number, e.g. canary lab add 123');
    const { labAdd } = await import('./lab-commands.ts');
    return labAdd(repoRoot(values.repo), prNumber(positionals[0]), {
      ...(env === undefined ? {} : { env }),
      ...(values.services === undefined
        ? {}
        : { services: values.services.split(',').filter((s) => s !== '') }),
      ...(values.ref === undefined ? {} : { ref: values.ref }),
      isolatedData: values['isolated-data'],
    });
  },
});

const labRmCommand = command({
  path: ['lab', 'rm'],
  summary: "remove PR N's routes, then stop its services",
  description: ["Remove PR N's routes, then stop its services (and drop its table, remove its worktree)."],
  positionals: [{ name: 'N', help: 'the PR number' }],
  options: { repo },
  run: async ({ values, positionals }) => {
    if (positionals[0] === undefined)
      throw new UsageError('lab rm needs N, the PR number, e.g. canary lab rm 123');
    const { labRm } = await import('./lab-commands.ts');
    return labRm(repoRoot(values.repo), prNumber(positionals[0]));
  },
});

const labRestartCommand = command({
  path: ['lab', 'restart'],
  summary: "rolling restart of a stable service or of PR N's canary",
  description: [
    "Rolling restart of a stable service (or PR N's canary of it); also brings back one",
    'that crashed, without waiting for its backoff.',
  ],
  positionals: [{ name: 'SERVICE', help: 'a catalogue name, e.g. store-service' }],
  options: { pr: { type: 'string', value: 'N', help: "restart PR N's canary instead of stable" }, repo },
  run: async ({ values, positionals }) => {
    const [service] = positionals;
    if (service === undefined) throw new UsageError('lab restart needs a SERVICE, e.g. store-service');
    const { labRestart } = await import('./lab-commands.ts');
    return labRestart(
      repoRoot(values.repo),
      service,
      values.pr === undefined ? undefined : prNumber(values.pr, 'PR number in --pr'),
    );
  },
});

const labStatusCommand = command({
  path: ['lab', 'status'],
  summary: 'services, tracks, addresses, health, restarts, tables and loaded routes',
  description: [
    'Services, tracks, addresses, health, restarts, the tables of canaries with',
    "isolated data and the loaded routes. --json adds the lab's Prometheus URL",
    '(lab up --observability).',
  ],
  options: { json: { type: 'boolean', help: 'print it as JSON' }, repo },
  run: async ({ values }) =>
    (await import('./lab-commands.ts')).labStatus(repoRoot(values.repo), values.json),
});

const reportCommandSpec = command({
  path: ['report'],
  summary: "PR N's canaries against stable from Prometheus: pass, fail or not enough traffic",
  description: [
    "Compare PR N's canaries with stable per service over the window (request rate, error",
    'ratio, p50/p99 latency from the recording rules): one-sided Mann-Whitney U (α 0.05)',
    'plus tolerances, at least 50 canary requests. Verdict per service: pass, fail (which',
    'metric, by how much) or not enough traffic. Exit 0 pass, 3 fail, 4 no verdict.',
    "In the lab it reads the lab's Prometheus: start the lab with npm start -- --observability",
    '(docs/lab.md, "A canary report in the lab").',
  ],
  options: {
    pr: { type: 'string', value: 'N', required: true, help: 'the PR whose canaries to judge' },
    prometheus: {
      type: 'string',
      value: 'URL',
      help: "the Prometheus to read (default: the lab's, from lab up --observability)",
    },
    window: { type: 'string', value: 'DURATION', default: '10m', help: 'how far back to compare' },
    step: { type: 'string', value: 'DURATION', default: '15s', help: 'the sample step' },
    format: { type: 'string', value: 'text|markdown|json', default: 'text', help: 'the output form' },
    'json-file': { type: 'string', value: 'FILE', help: 'also write the JSON form there' },
    repo,
  },
  examples: ['./canary report --pr 124 --window 2m --step 2s'],
  run: async ({ values }) => {
    const format = values.format;
    if (format !== 'text' && format !== 'markdown' && format !== 'json')
      throw new UsageError(`report: --format must be text, markdown or json, got ${JSON.stringify(format)}`);
    const { parseTtl } = await import('./token-command.ts');
    const { reportCommand } = await import('./report-command.ts');
    return reportCommand({
      repoRoot: repoRoot(values.repo),
      pr: prNumber(values.pr, 'PR number in --pr'),
      prometheus: values.prometheus,
      windowS: parseTtl(values.window, '--window'),
      stepS: parseTtl(values.step, '--step'),
      format,
      jsonFile: values['json-file'],
    });
  },
});

const tokenCommandSpec = command({
  path: ['token'],
  summary: "print a JWT from the lab's issuer (the api authenticates every request)",
  description: [
    "Print a JWT for tenant T from the lab's issuer (its key is in .lab/, made by the",
    'first lab up): the api authenticates every request, in the lab as in the cluster.',
  ],
  options: {
    tenant: {
      type: 'string',
      value: 'T',
      required: true,
      help: 'the tenant whose items the token addresses',
    },
    user: { type: 'string', value: 'U', help: 'the subject recorded as author (default: the tenant)' },
    ttl: { type: 'string', value: 'DURATION', default: '1h', help: 'how long it is valid (at most 24h)' },
    repo,
  },
  examples: ['export TOKEN=$(./canary token --tenant demo)'],
  run: async ({ values }) =>
    (await import('./token-command.ts')).tokenCommand(
      repoRoot(values.repo),
      values.tenant,
      values.user,
      values.ttl,
    ),
});

const explainCommandSpec = command({
  path: ['explain'],
  summary: 'send one request and print the hops that served it, and why',
  description: [
    'Send one request and print the hops that served it; against the lab, which route',
    'matched at each hop and why.',
  ],
  positionals: [
    { name: 'METHOD', help: 'GET, POST, …' },
    { name: 'PATH', help: 'the path, starting with /' },
  ],
  options: {
    'base-url': {
      type: 'string',
      value: 'URL',
      help: "send it there instead of to the lab's guarded entrypoint",
    },
    pr: { type: 'string', value: 'N', help: 'send X-Canary: N' },
    tenant: { type: 'string', value: 'T', default: 'demo', help: 'the tenant of the token the lab signs' },
    header: {
      type: 'string',
      value: "'Name: value'",
      short: 'H',
      multiple: true,
      help: 'one more header (repeatable)',
    },
    repo,
  },
  examples: ['./canary explain --pr 7 GET /v1/items'],
  run: async ({ values, positionals }) => {
    const [method, path] = positionals;
    if (method === undefined || path === undefined || !path.startsWith('/'))
      throw new UsageError('explain needs METHOD and PATH, e.g. GET /v1/items');
    const { explainCommand } = await import('./explain-command.ts');
    return explainCommand({
      repoRoot: repoRoot(values.repo),
      baseUrl: values['base-url'],
      pr: values.pr,
      tenant: values.tenant,
      headers: values.header,
      method: method.toUpperCase(),
      path,
    });
  },
});

const renderCommandSpec = command({
  path: ['render'],
  summary: 'print what Argo CD would create for PR N',
  description: [
    'Print (or write to DIR, one file per Application) what Argo CD would create for',
    'PR N: for each catalogue service whose label the PR carries, the PR Application',
    '(from the default branch: namespace, identity, limits, AppProject, route) and the',
    "workload Application inside it (the PR's own manifests at its head), built with",
    'kubectl kustomize (or kustomize built from its Go module when kubectl is missing).',
  ],
  options: {
    pr: { type: 'string', value: 'N', required: true, help: 'the PR number' },
    'head-sha': { type: 'string', value: 'SHA', help: "the PR head commit (default: this checkout's HEAD)" },
    labels: {
      type: 'string',
      value: 'L1,L2',
      help: 'PR labels, like canary:store-service (default: every catalogue label; add canary:isolated-data for a table of its own)',
    },
    env: {
      type: 'string',
      value: 'ENV',
      default: CANARY_ENVIRONMENT,
      help: 'the environment with the ApplicationSets',
    },
    out: { type: 'string', value: 'DIR', help: 'write one file per PR Application there' },
    repo,
  },
  examples: ['./canary render --pr 7 --labels canary:store-service'],
  run: async ({ values }) => {
    const pr = prNumber(values.pr, 'PR number in --pr');
    if (values['head-sha'] !== undefined && !/^[0-9a-f]{40}$/.test(values['head-sha'])) {
      throw new UsageError('--head-sha: expected a full 40-character commit sha');
    }
    const root = repoRoot(values.repo);
    const { defaultLabels, renderCommand } = await import('./render-command.ts');
    return renderCommand({
      repoRoot: root,
      pr,
      headSha: values['head-sha'],
      labels:
        values.labels === undefined ? defaultLabels(root) : values.labels.split(',').filter((l) => l !== ''),
      environment: values.env,
      out: values.out,
    });
  },
});

const verifyCommandSpec = command({
  path: ['verify'],
  summary: 'render every environment and sample PRs; check schemas and the GitOps rules',
  description: [
    'Render every environment and sample PRs; validate every object against its schema',
    'and check the GitOps rules. Exits 1 on any finding.',
    '--cluster: then apply it all, as Argo CD would, to a local control plane built from',
    'upstream Go modules into .tools/ (etcd, kube-apiserver, kube-controller-manager; needs',
    'Go 1.26+; the first build takes minutes): API validation, the real CRDs, admission',
    '(Pod Security, LimitRange, quota, ServiceAccount), the controllers, references and',
    'pruning of each sample PR.',
    '--kubeconfig: server-side dry run of ENV against your cluster (nothing is stored);',
    'namespaces it lacks are reported as "would be created", their contents dry-run only',
    'with --throwaway-namespaces (temporary namespaces, deleted afterwards).',
  ],
  options: {
    repo: { ...repo, rare: false },
    cluster: { type: 'boolean', help: 'also apply everything to a local control plane' },
    'keep-cluster': { type: 'boolean', help: 'leave the control plane running for the next run' },
    kubeconfig: { type: 'string', value: 'FILE', help: 'dry-run one environment against your cluster' },
    context: { type: 'string', value: 'C', help: "the kubeconfig's context (with --kubeconfig)" },
    env: { type: 'string', value: 'ENV', help: 'the environment to dry-run (with --kubeconfig)' },
    'throwaway-namespaces': {
      type: 'boolean',
      help: 'dry-run the contents of missing namespaces in temporary ones (with --kubeconfig)',
    },
  },
  moreHelp: async () => {
    const { helpRuleTable } = await import('./gitops/rules/index.ts');
    const { CLUSTER_RULE_DESCRIPTIONS } = await import('./cluster/sync.ts');
    return `  rules:\n${helpRuleTable(undefined, '    ')}\n  cluster checks (--cluster, --kubeconfig):\n${Object.entries(
      CLUSTER_RULE_DESCRIPTIONS,
    )
      .map(([name, description]) => `    ${name.padEnd(32)} ${description}`)
      .join('\n')}\n`;
  },
  moreDocs: 'The rules it checks, with their fixes: [troubleshooting](troubleshooting.md).',
  run: async ({ values }) => {
    if (values.cluster && values.kubeconfig !== undefined)
      throw new UsageError(
        'verify: --cluster (a local control plane) and --kubeconfig (your cluster) exclude each other',
      );
    if (
      values.kubeconfig === undefined &&
      (values.context !== undefined || values.env !== undefined || values['throwaway-namespaces'])
    )
      throw new UsageError('verify: --context, --env and --throwaway-namespaces go with --kubeconfig FILE');
    const { verifyCommand } = await import('./verify-command.ts');
    return verifyCommand(repoRoot(values.repo), {
      cluster: values.cluster,
      keepCluster: values['keep-cluster'],
      kubeconfig: values.kubeconfig,
      context: values.context,
      env: values.env,
      throwawayNamespaces: values['throwaway-namespaces'],
    });
  },
});

export const PROGRAM: Program = {
  name: 'canary',
  title: 'canary — PR-scoped canary deployments (run it as ./canary from the checkout)',
  version: VERSION,
  sections: [
    {
      heading: "The lab (no cluster: the manifests' routes, on this machine)",
      commands: ['lab', 'report', 'token', 'explain'],
    },
    { heading: 'GitOps (no cluster: what Argo CD would create)', commands: ['render', 'verify'] },
  ],
  groups: [{ name: 'lab', summary: 'the whole system on this machine, routed by the rendered manifests' }],
  commands: [
    labUpCommand,
    labAddCommand,
    labRmCommand,
    labRestartCommand,
    labStatusCommand,
    reportCommandSpec,
    tokenCommandSpec,
    explainCommandSpec,
    renderCommandSpec,
    verifyCommandSpec,
  ],
};
