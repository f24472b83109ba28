import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RULES } from './gitops/rules.ts';
import { DEFAULT_DATA_DIR, labUp } from './lab-up.ts';
import { CANARY_ENVIRONMENT, DEFAULT_LABELS, renderCommand } from './render-command.ts';
import { verifyCommand } from './verify-command.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const HELP = `canary — PR-scoped canary deployments

Usage:
  canary lab up [--port N] [--data-dir DIR] [--in-memory] [--verbose]
      Start the system on this machine: an embedded DynamoDB-compatible store
      (data under .data/), store-service and api-service. Ctrl-C stops it all.
        --port N        API port on localhost (default 8080)
        --data-dir DIR  where the embedded store keeps its data (default .data/dynalite)
        --in-memory     keep data in memory only
        --verbose       print the services' JSON logs
  canary render --pr N [--head-sha SHA] [--labels L1,L2] [--env ENV] [--out DIR] [--repo DIR]
      Print (or write to DIR, one file per Application) what Argo CD would create for
      PR N: instantiates the environment's PR ApplicationSets, applies each generated
      Application's kustomize options and builds it with kubectl kustomize.
        --head-sha SHA  the PR head commit (default: this checkout's HEAD)
        --labels        PR labels (default: ${DEFAULT_LABELS.join(',')})
        --env ENV       environment with the ApplicationSets (default: ${CANARY_ENVIRONMENT})
  canary verify [--repo DIR]
      Render every environment and sample PRs; validate every object against its schema
      and check the GitOps rules. Exits 1 on any finding. Rules:
${RULES.map((r) => `        ${r.name.padEnd(32)} ${r.description}`).join('\n')}
  canary help
      Show this help.
`;

export async function run(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === undefined || group === 'help' || group === '--help' || group === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (group === 'lab' && command === 'up') {
    const { values } = parseArgs({
      args: rest,
      options: {
        port: { type: 'string', default: '8080' },
        'data-dir': { type: 'string' },
        'in-memory': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port: expected a port number, got ${JSON.stringify(values.port)}`);
    }
    return labUp({
      port,
      dataDir: values['in-memory'] ? undefined : (values['data-dir'] ?? DEFAULT_DATA_DIR),
      verbose: values.verbose,
    });
  }
  if (group === 'render') {
    const { values } = parseArgs({
      args: argv.slice(1),
      options: {
        pr: { type: 'string' },
        'head-sha': { type: 'string' },
        labels: { type: 'string' },
        env: { type: 'string', default: CANARY_ENVIRONMENT },
        out: { type: 'string' },
        repo: { type: 'string', default: REPO_ROOT },
      },
      strict: true,
    });
    if (values.pr === undefined || !/^[1-9][0-9]{0,9}$/.test(values.pr)) {
      throw new UsageError(`--pr: expected a PR number, got ${JSON.stringify(values.pr ?? '')}`);
    }
    if (values['head-sha'] !== undefined && !/^[0-9a-f]{40}$/.test(values['head-sha'])) {
      throw new UsageError('--head-sha: expected a full 40-character commit sha');
    }
    return renderCommand({
      repoRoot: values.repo,
      pr: Number(values.pr),
      headSha: values['head-sha'],
      labels: values.labels === undefined ? DEFAULT_LABELS : values.labels.split(',').filter((l) => l !== ''),
      environment: values.env,
      out: values.out,
    });
  }
  if (group === 'verify') {
    const { values } = parseArgs({
      args: argv.slice(1),
      options: { repo: { type: 'string', default: REPO_ROOT } },
      strict: true,
    });
    return verifyCommand(values.repo);
  }
  throw new UsageError(`unknown command: ${argv.join(' ')}`);
}

class UsageError extends Error {}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`canary: ${message}\n`);
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write("run 'canary help' for usage\n");
      process.exitCode = 2;
    } else process.exitCode = 1;
  },
);
