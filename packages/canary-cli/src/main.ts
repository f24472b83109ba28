import { parseArgs } from 'node:util';
import { DEFAULT_DATA_DIR, labUp } from './lab-up.ts';

const HELP = `canary — PR-scoped canary deployments

Usage:
  canary lab up [--port N] [--data-dir DIR] [--in-memory] [--verbose]
      Start the system on this machine: an embedded DynamoDB-compatible store
      (data under .data/), store-service and api-service. Ctrl-C stops it all.
        --port N        API port on localhost (default 8080)
        --data-dir DIR  where the embedded store keeps its data (default .data/dynalite)
        --in-memory     keep data in memory only
        --verbose       print the services' JSON logs
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
