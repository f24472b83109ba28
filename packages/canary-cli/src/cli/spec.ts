// The CLI's commands as data: each command declares its arguments, options and help once;
// parsing (node:util parseArgs), `--help`, usage errors with the nearest known name, the
// overview of `canary help` and the reference in docs/cli.md are all derived from it.
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/** A mistake in how the CLI was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** One line: what the option does. */
  readonly help: string;
  /** The value's placeholder in the usage (string options), e.g. PORT. */
  readonly value?: string;
  readonly default?: string;
  readonly short?: string;
  readonly multiple?: boolean;
  readonly required?: boolean;
  /** Left out of the usage line (still listed with the options). */
  readonly rare?: boolean;
}

export interface PositionalSpec {
  readonly name: string;
  readonly help: string;
  readonly optional?: boolean;
}

export type Options = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' }
  ? boolean
  : S extends { multiple: true }
    ? string[]
    : S extends { default: string }
      ? string
      : S extends { required: true }
        ? string
        : string | undefined;

export type Values<O extends Options> = { -readonly [K in keyof O]: ValueOf<O[K]> };

type AnyValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandInput<O extends Options> {
  readonly values: Values<O>;
  readonly positionals: readonly string[];
}

export interface CommandSpec<O extends Options = Options> {
  /** The words that name it: ['lab', 'up']. */
  readonly path: readonly string[];
  /** One line for the overview. */
  readonly summary: string;
  /** What it does, in lines as they are printed (no wrapping is applied). */
  readonly description: readonly string[];
  readonly positionals?: readonly PositionalSpec[];
  readonly options: O;
  /** More help after the options (e.g. verify's rule table); not in docs/cli.md. */
  readonly moreHelp?: () => Promise<string>;
  /** A line docs/cli.md shows instead of moreHelp. */
  readonly moreDocs?: string;
  readonly examples?: readonly string[];
  readonly run: (input: CommandInput<O>) => Promise<number>;
}

/** A command with its values' types erased, as the table holds it. */
export interface Command {
  readonly path: readonly string[];
  readonly summary: string;
  readonly description: readonly string[];
  readonly positionals: readonly PositionalSpec[];
  readonly options: Options;
  readonly moreHelp: (() => Promise<string>) | undefined;
  readonly moreDocs: string | undefined;
  readonly examples: readonly string[];
  readonly run: (input: { values: AnyValues; positionals: readonly string[] }) => Promise<number>;
}

/** Declares a command; its handler sees values typed from its options. */
export function command<const O extends Options>(spec: CommandSpec<O>): Command {
  return {
    path: spec.path,
    summary: spec.summary,
    description: spec.description,
    positionals: spec.positionals ?? [],
    options: spec.options,
    moreHelp: spec.moreHelp,
    moreDocs: spec.moreDocs,
    examples: spec.examples ?? [],
    // The parser builds the values from these same options (parseInvocation).
    run: (input) => spec.run(input as unknown as CommandInput<O>),
  };
}

export interface Group {
  readonly name: string;
  readonly summary: string;
}

export interface Program {
  readonly name: string;
  readonly title: string;
  readonly version: string;
  /** Section headings of the overview, each with the first words of its commands. */
  readonly sections: readonly { readonly heading: string; readonly commands: readonly string[] }[];
  readonly groups: readonly Group[];
  readonly commands: readonly Command[];
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };
const VERSION_OPTION: OptionSpec = { type: 'boolean', help: "print canary's version" };

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours). */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row !== undefined) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known name nearest to `given` (a typo or a prefix of it), or undefined when none is close. */
export function nearest(given: string, known: readonly string[]): string | undefined {
  const prefixed = known.filter((k) => given.length >= 2 && k.startsWith(given));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(given, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.min(3, Math.floor(given.length / 3))) ? best : undefined;
}

const optionLabel = (name: string, spec: OptionSpec) =>
  `${spec.short === undefined ? '' : `-${spec.short}, `}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;

/** `canary lab add N [--services S1,S2] …`: positionals, then the options that are not rare. */
export function usageLine(program: Program, cmd: Command): string {
  const parts = [program.name, ...cmd.path];
  for (const p of cmd.positionals) parts.push(p.optional === true ? `[${p.name}]` : p.name);
  for (const [name, spec] of Object.entries(cmd.options)) {
    if (spec.rare === true) continue;
    const flag = `--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    parts.push(spec.required === true ? flag : `[${flag}]`);
  }
  // Wrapped at 100 columns, continuation lines under the first argument.
  const head = [program.name, ...cmd.path].join(' ');
  const lines: string[] = [];
  let line = head;
  for (const part of parts.slice(1 + cmd.path.length)) {
    if (line.length + 1 + part.length > 100) {
      lines.push(line);
      line = `${' '.repeat(head.length)} ${part}`;
    } else line = `${line} ${part}`;
  }
  lines.push(line);
  return lines.join('\n');
}

const optionDefault = (spec: OptionSpec) =>
  spec.default === undefined ? '' : ` (default: ${spec.default === '' ? 'none' : spec.default})`;

/** The help of one command, as `canary <command> --help` prints it. */
export async function commandHelp(program: Program, cmd: Command): Promise<string> {
  const lines = [`usage: ${usageLine(program, cmd)}`, '', ...cmd.description.map((l) => `  ${l}`)];
  const rows: [string, string][] = [
    ...cmd.positionals.map((p): [string, string] => [p.name, p.help]),
    ...Object.entries(cmd.options).map(([name, spec]): [string, string] => [
      optionLabel(name, spec),
      `${spec.help}${optionDefault(spec)}`,
    ]),
    [optionLabel('help', HELP_OPTION), HELP_OPTION.help],
    [optionLabel('version', VERSION_OPTION), VERSION_OPTION.help],
  ];
  const width = Math.min(28, Math.max(...rows.map(([l]) => l.length)));
  lines.push('');
  for (const [label, help] of rows)
    lines.push(
      label.length > width
        ? `  ${label}\n  ${' '.repeat(width)}  ${help}`
        : `  ${label.padEnd(width)}  ${help}`,
    );
  if (cmd.examples.length > 0) lines.push('', '  examples:', ...cmd.examples.map((e) => `    ${e}`));
  const more = await cmd.moreHelp?.();
  if (more !== undefined) lines.push('', more.replace(/\n$/, ''));
  return `${lines.join('\n')}\n`;
}

/** The subcommands of a group (`canary lab`): one usage line and summary each. */
export function groupHelp(program: Program, group: Group): string {
  const cmds = program.commands.filter((c) => c.path[0] === group.name);
  return `${program.name} ${group.name}: ${group.summary}\n\n${cmds
    .map((c) => `  ${[program.name, ...c.path].join(' ').padEnd(24)} ${c.summary}`)
    .join('\n')}\n\n${program.name} ${group.name} <command> --help shows a command's options.\n`;
}

/** `canary help`: every command's help under its section. */
export async function programHelp(program: Program): Promise<string> {
  const out = [
    program.title,
    '',
    ...program.commands.map((c) => `  ${[program.name, ...c.path].join(' ').padEnd(20)} ${c.summary}`),
    '',
    `Every command answers --help (${program.name} lab add --help); ${program.name} --version prints the version.`,
  ];
  for (const section of program.sections) {
    out.push('', `${section.heading}:`);
    for (const c of program.commands.filter((c) => section.commands.includes(c.path[0] ?? ''))) {
      out.push('', ...(await commandHelp(program, c)).replace(/\n$/, '').split('\n'));
    }
  }
  return `${out.join('\n')}\n`;
}

/** What the words on the command line ask for. */
export type Invocation =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version'; readonly text: string }
  | {
      readonly kind: 'run';
      readonly command: Command;
      readonly values: AnyValues;
      readonly positionals: readonly string[];
    };

const commandName = (program: Program, words: readonly string[]) => [program.name, ...words].join(' ');

/** Finds the command the words name, or throws a UsageError that suggests the nearest one. */
function findCommand(program: Program, argv: readonly string[]): { cmd: Command; rest: string[] } | Group {
  const [first, second] = argv;
  const group = program.groups.find((g) => g.name === first);
  if (group !== undefined) {
    if (second === undefined || second.startsWith('-')) return group;
    const cmd = program.commands.find((c) => c.path[0] === first && c.path[1] === second);
    if (cmd !== undefined) return { cmd, rest: argv.slice(2) };
    const names = program.commands.filter((c) => c.path[0] === first).map((c) => c.path[1] ?? '');
    const guess = nearest(second, names);
    throw new UsageError(
      `unknown command '${first} ${second}'${guess === undefined ? '' : `; did you mean '${commandName(program, [group.name, guess])}'?`} (${group.name} commands: ${names.join(', ')})`,
    );
  }
  const cmd = program.commands.find((c) => c.path.length === 1 && c.path[0] === first);
  if (cmd !== undefined) return { cmd, rest: argv.slice(1) };
  const firstWords = [...new Set(program.commands.map((c) => c.path[0] ?? '')), 'help'];
  // `canary status` for `canary lab status`: a known subcommand without its group.
  const inGroup = program.commands.find((c) => c.path.length === 2 && c.path[1] === first);
  const guess = inGroup === undefined ? nearest(first ?? '', firstWords) : inGroup.path.join(' ');
  throw new UsageError(
    `unknown command '${first}'${guess === undefined ? '' : `; did you mean '${commandName(program, [guess])}'?`} (commands: ${firstWords.join(', ')})`,
  );
}

/** `--help`, `-h` or `--version` among a command's words (before `--`). */
function flagIn(args: readonly string[], flags: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (flags.includes(a)) return true;
  }
  return false;
}

/** Reads the command line: help, version, or a command with its checked values. */
export async function parseInvocation(program: Program, argv: readonly string[]): Promise<Invocation> {
  const [first] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const words = first === 'help' ? argv.slice(1) : [];
    if (words.length === 0) return { kind: 'help', text: await programHelp(program) };
    const found = findCommand(program, words);
    return {
      kind: 'help',
      text: 'cmd' in found ? await commandHelp(program, found.cmd) : groupHelp(program, found),
    };
  }
  if (first === '--version' || first === '-V')
    return { kind: 'version', text: `${program.name} ${program.version}\n` };
  const found = findCommand(program, argv);
  if (!('cmd' in found)) {
    if (flagIn(argv.slice(1), ['--version']))
      return { kind: 'version', text: `${program.name} ${program.version}\n` };
    const extra = argv[1];
    if (extra !== undefined && !flagIn([extra], ['--help', '-h']))
      throw new UsageError(
        `${found.name}: unknown option ${extra} (${found.name} takes a command: ${program.commands
          .filter((c) => c.path[0] === found.name)
          .map((c) => c.path[1])
          .join(', ')})`,
      );
    return { kind: 'help', text: groupHelp(program, found) };
  }
  const { cmd, rest } = found;
  if (flagIn(rest, ['--help', '-h'])) return { kind: 'help', text: await commandHelp(program, cmd) };
  if (flagIn(rest, ['--version'])) return { kind: 'version', text: `${program.name} ${program.version}\n` };
  const { values, positionals } = parseOptions(cmd, rest);
  return { kind: 'run', command: cmd, values, positionals };
}

/** parseArgs with its errors in plain words: which option, for which command, what it accepts. */
function parseOptions(cmd: Command, args: readonly string[]): { values: AnyValues; positionals: string[] } {
  const name = cmd.path.join(' ');
  const config: ParseArgsOptionsConfig = {};
  for (const [option, spec] of Object.entries(cmd.options)) {
    config[option] =
      spec.type === 'boolean'
        ? { type: 'boolean', default: false, ...(spec.short === undefined ? {} : { short: spec.short }) }
        : {
            type: 'string',
            ...(spec.short === undefined ? {} : { short: spec.short }),
            ...(spec.multiple === true ? { multiple: true, default: [] } : {}),
            ...(spec.default === undefined ? {} : { default: spec.default }),
          };
  }
  const known = Object.keys(cmd.options).map((o) => `--${o}`);
  let parsed: { values: AnyValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: config, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const quoted = /'([^']+)'/.exec((err as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const guess = nearest(quoted.split('=')[0] ?? quoted, [...known, '--help', '--version']);
      throw new UsageError(
        `${name}: unknown option ${quoted} (known: ${known.join(', ')})${guess === undefined ? '' : `\n  did you mean ${guess}?`}`,
      );
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(`${name}: ${quoted.split(' ')[0]} needs a value`);
    throw err;
  }
  const most = cmd.positionals.length;
  if (parsed.positionals.length > most) {
    const extra = parsed.positionals[most] ?? '';
    throw new UsageError(
      most === 0
        ? `${name}: unexpected argument ${extra} (options: ${known.join(', ')})`
        : `${name}: unexpected argument ${extra} (it takes ${cmd.positionals.map((p) => p.name).join(' ')} and options: ${known.join(', ')})`,
    );
  }
  for (const [option, spec] of Object.entries(cmd.options)) {
    if (spec.required === true && parsed.values[option] === undefined)
      throw new UsageError(`${name}: --${option} ${spec.value ?? 'VALUE'} is required (${spec.help})`);
  }
  return parsed;
}
