import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isPrNumber, MAX_PR_NUMBER } from 'canary-context';
import { forgetLabProcessEnv, labProcessEnv, missingLabNodeFlags } from 'local-runtime/lab';
import { CLUSTER_RULE_DESCRIPTIONS } from './cluster/sync.ts';
import { explainCommand } from './explain-command.ts';
import { helpRuleTable } from './gitops/rules/index.ts';
import { labAdd, labRestart, labRm, labStatus } from './lab-commands.ts';
import { DEFAULT_DATA_DIR, labUp } from './lab-up.ts';
import { CANARY_ENVIRONMENT, defaultLabels, renderCommand } from './render-command.ts';
import { reportCommand } from './report-command.ts';
import { parseTtl, tokenCommand } from './token-command.ts';
import { UsageError, verifyCommand } from './verify-command.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const HELP = `canary — PR-scoped canary deployments

The lab (no cluster: the manifests' routes, on this machine):
  canary lab up [--port 8080] [--public-port 8081] [--data-dir DIR | --in-memory]
                [--stable-ref REF] [--observability] [--verbose]
      Embedded DynamoDB (data under .data/), every catalogue service on its stable track,
      a mesh router in front of each service reached through the mesh, and an edge router.
      Services that exit are restarted with backoff. --port is the guarded
      entrypoint (X-Canary honoured), --public-port the public one (X-Canary and baggage
      stripped). --stable-ref runs stable from a git ref (e.g. main). --observability also
      runs a local Prometheus (Debian's prometheus) scraping every lab process with the
      manifests' recording rules and alerts. Ctrl-C stops it all.
  canary lab add N [--services S1,S2] [--ref REF] [--isolated-data]
                   [--fault-delay-ms MS] [--fault-error-ratio R]
      Run PR N's canaries next to stable (the working tree, or REF's code) and load the
      routes its rendered manifests define. --services: catalogue names (default: all).
      --isolated-data gives it its own table. --fault-*: the canaries delay every /v1
      request by MS or fail a ratio R (0-1) of them, to see canary report fail.
  canary lab rm N
      Remove PR N's routes, then stop its services (and drop its table).
  canary lab restart SERVICE [--pr N]
      Rolling restart of a stable service (or PR N's canary of it); also brings back one
      that crashed, without waiting for its backoff.
  canary lab status [--json]
      Services, tracks, addresses, health, restarts and loaded routes.
  canary report --pr N [--prometheus URL] [--window 10m] [--step 15s]
                [--format text|markdown|json] [--json-file FILE]
      Compare PR N's canaries with stable per service over the window (request rate, error
      ratio, p50/p99 latency from the recording rules): one-sided Mann-Whitney U (α 0.05)
      plus tolerances, at least 50 canary requests. Verdict per service: pass, fail (which
      metric, by how much) or not enough traffic. Exit 0 pass, 3 fail, 4 no verdict.
      Default Prometheus: the lab's (lab up --observability). --json-file: also write
      the JSON form there.
  canary token --tenant T [--user U] [--ttl 1h]
      Print a JWT for tenant T from the lab's issuer (its key is in .lab/, made by the
      first lab up): the api authenticates every request, in the lab as in the cluster.
  canary explain [--base-url URL] [--pr N] [--tenant T] [-H 'Name: value'] METHOD PATH
      Send one request and print the hops that served it; against the lab, which route
      matched at each hop and why.

GitOps (no cluster: what Argo CD would create):
  canary render --pr N [--head-sha SHA] [--labels L1,L2] [--env ENV] [--out DIR] [--repo DIR]
      Print (or write to DIR, one file per Application) what Argo CD would create for
      PR N: for each catalogue service whose label the PR carries, the PR Application
      (from the default branch: namespace, identity, limits, AppProject, route) and the
      workload Application inside it (the PR's own manifests at its head), built with
      kubectl kustomize.
        --head-sha SHA  the PR head commit (default: this checkout's HEAD)
        --labels        PR labels (default: every catalogue label; add canary:isolated-data
                        for a table of its own)
        --env ENV       environment with the ApplicationSets (default: ${CANARY_ENVIRONMENT})
  canary verify [--repo DIR] [--cluster [--keep-cluster]]
  canary verify --kubeconfig FILE [--context C] --env ENV [--throwaway-namespaces]
      Render every environment and sample PRs; validate every object against its schema
      and check the GitOps rules. Exits 1 on any finding.
      --cluster: then apply it all, as Argo CD would, to a local control plane built from
      upstream Go modules into .tools/ (etcd, kube-apiserver, kube-controller-manager; needs
      Go 1.26+; the first build takes minutes): API validation, the real CRDs, admission
      (Pod Security, LimitRange, quota, ServiceAccount), the controllers, references and
      pruning of each sample PR. --keep-cluster leaves it running for the next run.
      --kubeconfig: server-side dry run of ENV against your cluster (nothing is stored);
      namespaces it lacks are reported as "would be created", their contents dry-run only
      with --throwaway-namespaces (temporary namespaces, deleted afterwards).
      Rules:
${helpRuleTable()}
      Cluster checks (--cluster, --kubeconfig):
${Object.entries(CLUSTER_RULE_DESCRIPTIONS)
  .map(([name, description]) => `        ${name.padEnd(32)} ${description}`)
  .join('\n')}

  canary help
`;

const prNumber = (value: string | undefined, what = 'PR number') => {
  if (value === undefined || !isPrNumber(value)) {
    throw new UsageError(`expected a ${what} (1-${MAX_PR_NUMBER}), got ${JSON.stringify(value ?? '')}`);
  }
  return Number(value);
};

/** parseArgs with its errors in plain words: which option, for which command, and what it accepts. */
function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const quoted = /'([^']+)'/.exec((err as Error).message)?.[1] ?? '';
    const known = Object.keys(options)
      .map((o) => `--${o}`)
      .join(', ');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`${command}: unknown option ${quoted} (known: ${known})`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(`${command}: ${quoted.split(' ')[0]} needs a value`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(`${command}: unexpected argument ${quoted} (options: ${known})`);
    throw err;
  }
}
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
function execWithLabSettings(): void {
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

const portNumber = (value: string, flag: string) => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${flag}: expected a port number, got ${JSON.stringify(value)}`);
  return port;
};

export async function run(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === undefined || group === 'help' || group === '--help' || group === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (group === 'lab' && command === 'up') {
    const { values } = parse('lab up', rest, {
      port: { type: 'string', default: '8080' },
      'public-port': { type: 'string', default: '8081' },
      'data-dir': { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      'stable-ref': { type: 'string' },
      observability: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      repo: { type: 'string', default: REPO_ROOT },
    });
    execWithLabSettings();
    return labUp({
      repoRoot: values.repo,
      port: portNumber(values.port, '--port'),
      publicPort: portNumber(values['public-port'], '--public-port'),
      dataDir: values['in-memory'] ? undefined : (values['data-dir'] ?? DEFAULT_DATA_DIR),
      stableRef: values['stable-ref'],
      observability: values.observability,
      verbose: values.verbose,
    });
  }
  if (group === 'lab' && command === 'add') {
    const { values, positionals } = parse(
      'lab add',
      rest,
      {
        services: { type: 'string' },
        ref: { type: 'string' },
        'isolated-data': { type: 'boolean', default: false },
        'fault-delay-ms': { type: 'string' },
        'fault-error-ratio': { type: 'string' },
        repo: { type: 'string', default: REPO_ROOT },
      },
      true,
    );
    const env = faultEnv(values['fault-delay-ms'], values['fault-error-ratio']);
    return labAdd(values.repo, prNumber(positionals[0]), {
      ...(env === undefined ? {} : { env }),
      ...(values.services === undefined
        ? {}
        : { services: values.services.split(',').filter((s) => s !== '') }),
      ...(values.ref === undefined ? {} : { ref: values.ref }),
      isolatedData: values['isolated-data'],
    });
  }
  if (group === 'lab' && command === 'rm') {
    const { values, positionals } = parse(
      'lab rm',
      rest,
      { repo: { type: 'string', default: REPO_ROOT } },
      true,
    );
    return labRm(values.repo, prNumber(positionals[0]));
  }
  if (group === 'lab' && command === 'restart') {
    const { values, positionals } = parse(
      'lab restart',
      rest,
      { pr: { type: 'string' }, repo: { type: 'string', default: REPO_ROOT } },
      true,
    );
    const [service] = positionals;
    if (service === undefined) throw new UsageError('lab restart needs a SERVICE, e.g. store-service');
    return labRestart(
      values.repo,
      service,
      values.pr === undefined ? undefined : prNumber(values.pr, 'PR number in --pr'),
    );
  }
  if (group === 'lab' && command === 'status') {
    const { values } = parse('lab status', rest, {
      json: { type: 'boolean', default: false },
      repo: { type: 'string', default: REPO_ROOT },
    });
    return labStatus(values.repo, values.json);
  }
  if (group === 'report') {
    const { values } = parse('report', argv.slice(1), {
      pr: { type: 'string' },
      prometheus: { type: 'string' },
      window: { type: 'string', default: '10m' },
      step: { type: 'string', default: '15s' },
      format: { type: 'string', default: 'text' },
      'json-file': { type: 'string' },
      repo: { type: 'string', default: REPO_ROOT },
    });
    const format = values.format;
    if (format !== 'text' && format !== 'markdown' && format !== 'json')
      throw new UsageError(`report: --format must be text, markdown or json, got ${JSON.stringify(format)}`);
    return reportCommand({
      repoRoot: values.repo,
      pr: prNumber(values.pr, 'PR number in --pr'),
      prometheus: values.prometheus,
      windowS: parseTtl(values.window, '--window'),
      stepS: parseTtl(values.step, '--step'),
      format,
      jsonFile: values['json-file'],
    });
  }
  if (group === 'token') {
    const { values } = parse('token', argv.slice(1), {
      tenant: { type: 'string' },
      user: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      repo: { type: 'string', default: REPO_ROOT },
    });
    if (values.tenant === undefined) throw new UsageError('token: --tenant is required');
    return tokenCommand(values.repo, values.tenant, values.user, values.ttl);
  }
  if (group === 'explain') {
    const { values, positionals } = parse(
      'explain',
      argv.slice(1),
      {
        'base-url': { type: 'string' },
        pr: { type: 'string' },
        tenant: { type: 'string', default: 'demo' },
        header: { type: 'string', short: 'H', multiple: true, default: [] },
        repo: { type: 'string', default: REPO_ROOT },
      },
      true,
    );
    const [method, path] = positionals;
    if (method === undefined || path === undefined || !path.startsWith('/'))
      throw new UsageError('explain needs METHOD and PATH, e.g. GET /v1/items');
    return explainCommand({
      repoRoot: values.repo,
      baseUrl: values['base-url'],
      pr: values.pr,
      tenant: values.tenant,
      headers: values.header,
      method: method.toUpperCase(),
      path,
    });
  }
  if (group === 'render') {
    const { values } = parse('render', argv.slice(1), {
      pr: { type: 'string' },
      'head-sha': { type: 'string' },
      labels: { type: 'string' },
      env: { type: 'string', default: CANARY_ENVIRONMENT },
      out: { type: 'string' },
      repo: { type: 'string', default: REPO_ROOT },
    });
    prNumber(values.pr, 'PR number in --pr');
    if (values['head-sha'] !== undefined && !/^[0-9a-f]{40}$/.test(values['head-sha'])) {
      throw new UsageError('--head-sha: expected a full 40-character commit sha');
    }
    return renderCommand({
      repoRoot: values.repo,
      pr: Number(values.pr),
      headSha: values['head-sha'],
      labels:
        values.labels === undefined
          ? defaultLabels(values.repo)
          : values.labels.split(',').filter((l) => l !== ''),
      environment: values.env,
      out: values.out,
    });
  }
  if (group === 'verify') {
    const { values } = parse('verify', argv.slice(1), {
      repo: { type: 'string', default: REPO_ROOT },
      cluster: { type: 'boolean', default: false },
      'keep-cluster': { type: 'boolean', default: false },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      env: { type: 'string' },
      'throwaway-namespaces': { type: 'boolean', default: false },
    });
    if (values.cluster && values.kubeconfig !== undefined)
      throw new UsageError(
        'verify: --cluster (a local control plane) and --kubeconfig (your cluster) exclude each other',
      );
    if (
      values.kubeconfig === undefined &&
      (values.context !== undefined || values.env !== undefined || values['throwaway-namespaces'])
    )
      throw new UsageError('verify: --context, --env and --throwaway-namespaces go with --kubeconfig FILE');
    return verifyCommand(values.repo, {
      cluster: values.cluster,
      keepCluster: values['keep-cluster'],
      kubeconfig: values.kubeconfig,
      context: values.context,
      env: values.env,
      throwawayNamespaces: values['throwaway-namespaces'],
    });
  }
  throw new UsageError(`unknown command: ${argv.join(' ')}`);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`canary: ${message}\n`);
    if (err instanceof UsageError) {
      process.stderr.write("run 'canary help' for usage\n");
      process.exitCode = 2;
    } else process.exitCode = 1;
  },
);
