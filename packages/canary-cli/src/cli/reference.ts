// docs/cli.md, generated from the command table (commands.ts) that the CLI itself runs.
// `npm run docs:cli` writes it; packages/canary-cli/test/cli.test.ts keeps the two equal.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROGRAM } from '../commands.ts';
import { type Command, type OptionSpec, type Program, usageLine } from './spec.ts';

export const REFERENCE_FILE = fileURLToPath(new URL('../../../../docs/cli.md', import.meta.url));

const cell = (text: string) => text.replaceAll('|', '\\|');

const flag = (name: string, spec: OptionSpec) =>
  `\`${spec.short === undefined ? '' : `-${spec.short}, `}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}\``;

function commandSection(program: Program, cmd: Command): string {
  const rows = [
    ...cmd.positionals.map((p) => `| \`${p.name}\` | ${cell(p.help)} |`),
    ...Object.entries(cmd.options).map(
      ([name, spec]) =>
        `| ${cell(flag(name, spec))} | ${cell(spec.help)}${spec.default === undefined ? '' : ` (default: \`${spec.default}\`)`}${spec.required === true ? ' (required)' : ''} |`,
    ),
  ];
  return [
    `## ${[program.name, ...cmd.path].join(' ')}`,
    '',
    cmd.summary.charAt(0).toUpperCase() + cmd.summary.slice(1),
    '',
    '```',
    usageLine(program, cmd),
    '```',
    '',
    cmd.description.join('\n'),
    '',
    '| argument or option | meaning |',
    '|---|---|',
    ...rows,
    ...(cmd.examples.length > 0 ? ['', 'Examples:', '', '```sh', ...cmd.examples, '```'] : []),
    ...(cmd.moreDocs === undefined ? [] : ['', cmd.moreDocs]),
    '',
  ].join('\n');
}

/** The Markdown of docs/cli.md. */
export function cliReference(program: Program = PROGRAM): string {
  return [
    '<!-- Generated from packages/canary-cli/src/commands.ts by `npm run docs:cli`; edit the commands there. -->',
    '# The `canary` command',
    '',
    'Run it from the checkout as `./canary …` (a script at the root of the repository). It',
    "runs the CLI with the project's Node (Node 24 is brought into `.tools/` when the machine's",
    'is older) and installs the dependencies on first use, like `npm start` and `npm test`.',
    'It is a path, not a package name: `npx canary` would look the name up in the npm registry',
    'whenever it is not run inside an installed checkout, and the registry has an unrelated',
    'package called `canary`. Outside the checkout `./canary` simply does not exist.',
    '',
    'Every command and subcommand answers `--help` (or `-h`) and `--version`; `./canary help`',
    'prints them all. A mistyped command or option is answered with the nearest known one.',
    'Exit codes: 0 success, 1 an error (the message says what to do next), 2 a usage error;',
    '`report` also 3 (a canary fails) and 4 (no verdict).',
    '',
    '| command | what it does |',
    '|---|---|',
    ...program.commands.map(
      (c) =>
        `| [\`${[program.name, ...c.path].join(' ')}\`](#${[program.name, ...c.path].join('-')}) | ${cell(c.summary)} |`,
    ),
    '',
    ...program.commands.map((c) => commandSection(program, c)),
  ].join('\n');
}

if (import.meta.main) {
  writeFileSync(REFERENCE_FILE, cliReference());
  process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
}
