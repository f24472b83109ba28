// `canary`: reads the command line against the command table (commands.ts) and runs the
// command; usage errors exit 2 with the nearest known name, other errors 1.
import { parseInvocation, UsageError } from './cli/spec.ts';
import { PROGRAM } from './commands.ts';

export async function run(argv: string[]): Promise<number> {
  const invocation = await parseInvocation(PROGRAM, argv);
  if (invocation.kind !== 'run') {
    process.stdout.write(invocation.text);
    return 0;
  }
  return invocation.command.run({ values: invocation.values, positionals: invocation.positionals });
}

/** The help a usage error points to: the command's own when the words name one. */
function helpHint(argv: readonly string[]): string {
  const [first, second] = argv;
  const cmd = PROGRAM.commands.find(
    (c) => c.path[0] === first && (c.path.length === 1 || c.path[1] === second),
  );
  return cmd === undefined
    ? "run 'canary help' for usage"
    : `run 'canary ${cmd.path.join(' ')} --help' for usage`;
}

const argv = process.argv.slice(2);
run(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`canary: ${message}\n`);
    if (err instanceof UsageError) {
      process.stderr.write(`${helpHint(argv)}\n`);
      process.exitCode = 2;
    } else process.exitCode = 1;
  },
);
