// node:test reporter that ends the run with one plain line CI can read:
// "N passed, N failed, N skipped". Counts tests, not suites, and counts every test that did
// not run: a skipped suite's body never runs, so its tests are counted from its source
// (every it()/test() call written inside it; one per call, so a call in a loop counts once
// and the skip line says "at least"). Above that line it names each
// skip with its reason. Under CI=true nothing may skip: a skip fails the run.
import { readFileSync } from 'node:fs';
import type { TestEvent } from 'node:test/reporters';

/** The source with comments, strings and template text blanked (same length, same offsets). */
export function codeOnly(source: string): string {
  const out = source.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k += 1) if (out[k] !== '\n') out[k] = ' ';
  };
  // Braces of template substitutions (`${ … }`) open code inside a template.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const template = (start: number): number => {
    // From just after a backtick or a closing substitution brace: text up to ` or ${.
    let k = start;
    while (k < source.length) {
      if (source[k] === '\\') k += 2;
      else if (source[k] === '`') {
        blank(start, k);
        return k + 1;
      } else if (source[k] === '$' && source[k + 1] === '{') {
        blank(start, k);
        templates.push(depth);
        depth += 1;
        return k + 2;
      } else k += 1;
    }
    blank(start, k);
    return k;
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      let k = i + 1;
      while (k < source.length && source[k] !== c && source[k] !== '\n') k += source[k] === '\\' ? 2 : 1;
      blank(i + 1, k);
      i = k + 1;
    } else if (c === '`') {
      i = template(i + 1);
    } else if (c === '{') {
      depth += 1;
      i += 1;
    } else if (c === '}') {
      depth -= 1;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        i = template(i + 1);
      } else i += 1;
    } else i += 1;
  }
  return out.join('');
}

/**
 * How many tests are written inside the call that starts at line:column (1-based) of a
 * file, and whether some are written in a loop (then more tests than calls did not run).
 */
export function testsWrittenIn(source: string, line: number, column: number): number {
  return testCallsIn(source, line, column).calls;
}

export function testCallsIn(
  source: string,
  line: number,
  column: number,
): { calls: number; inLoop: boolean } {
  const lines = source.split('\n');
  let offset = column - 1;
  for (let l = 0; l < line - 1; l += 1) offset += (lines[l]?.length ?? 0) + 1;
  const code = codeOnly(source);
  const open = code.indexOf('(', offset);
  if (open === -1) return { calls: 1, inLoop: false };
  let depth = 0;
  let close = code.length;
  for (let k = open; k < code.length; k += 1) {
    if (code[k] === '(') depth += 1;
    else if (code[k] === ')') {
      depth -= 1;
      if (depth === 0) {
        close = k;
        break;
      }
    }
  }
  const body = code.slice(open, close);
  const calls = [...body.matchAll(/(?<![\w.$])(?:it|test)(?:\.(?:skip|todo|only))?\s*\(/g)];
  // A call on the line of a loop header, or on one of the two lines after it.
  const inLoop = calls.some((m) => {
    const before = body.slice(0, m.index).split('\n').slice(-3).join('\n');
    return /\bfor\s*\(|\.(?:forEach|map|flatMap)\(/.test(before);
  });
  return { calls: Math.max(1, calls.length), inLoop };
}

function suiteTests(
  file: string | undefined,
  line: number | undefined,
  column: number | undefined,
): { calls: number; inLoop: boolean } {
  if (file === undefined || line === undefined || column === undefined) return { calls: 1, inLoop: false };
  try {
    return testCallsIn(readFileSync(file, 'utf8'), line, column);
  } catch {
    return { calls: 1, inLoop: false };
  }
}

export default async function* summaryReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const skips: string[] = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    const reason = data.skip ?? data.todo;
    const isSuite = data.details.type === 'suite';
    if (reason === undefined) {
      if (isSuite) continue;
      if (event.type === 'test:pass') passed += 1;
      else failed += 1;
      continue;
    }
    const written = isSuite ? suiteTests(data.file, data.line, data.column) : { calls: 1, inLoop: false };
    skipped += written.calls;
    const why = typeof reason === 'string' && reason !== '' ? `: ${reason}` : '';
    const size = `${written.inLoop ? 'at least ' : ''}${written.calls} tests${written.inLoop ? ', some written in a loop' : ''}`;
    skips.push(`skipped ${isSuite ? `suite "${data.name}" (${size})` : `"${data.name}"`}${why}`);
  }
  for (const line of skips) yield `${line}\n`;
  if (process.env.CI === 'true' && skipped > 0) {
    yield `CI=true: ${skipped} tests did not run; under CI every tool is installed and nothing may skip\n`;
    process.exitCode = 1;
  }
  yield `${passed} passed, ${failed} failed, ${skipped} skipped\n`;
}
