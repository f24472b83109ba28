/**
 * The two pattern languages of Argo CD's AppProjects (3.3.9, read from its sources):
 *
 * - Group, kind and name of `clusterResource*` / `namespaceResource*` entries match with Go's
 *   `path/filepath.Match` (separator `/`, as on Linux): `*` (never across `/`), `?`, classes
 *   `[a-z0-9]`, negated with `^` (`[!a]` is the class of `!` and `a`), `\` escapes. A
 *   malformed pattern never matches (Go errors once matching reaches it), and Argo CD treats
 *   the entry as matching nothing.
 * - Destinations (namespace, server, name) and `sourceRepos` match with gobwas/glob
 *   (util/glob), a leading `!` denying: `*`, `**`, `?`, `[abc]` or one range `[a-z]`, negated
 *   with `!`, `{a,b}` alternatives, `\` escapes. Source repositories use `/` as separator
 *   (`*` stays within one path segment), destinations none. A pattern that does not compile
 *   matches nothing (Argo CD logs a warning).
 */
export class BadPattern extends Error {
  override name = 'BadPattern';
}

/** One filepath.Match chunk: optional leading stars, then text up to the next star outside a class. */
function scanChunk(pattern: readonly string[], from: number): { star: boolean; start: number; end: number } {
  let i = from;
  let star = false;
  while (pattern[i] === '*') {
    star = true;
    i += 1;
  }
  const start = i;
  let inClass = false;
  for (; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 < pattern.length) i += 1;
    } else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '*' && !inClass) break;
  }
  return { star, start, end: i };
}

/** A class member (`c` or `\c`) at `at`; malformed when missing, `-`, `]`, or the chunk ends after it. */
function classChar(chunk: readonly string[], at: number): { char: string; next: number } {
  let i = at;
  if (i >= chunk.length || chunk[i] === '-' || chunk[i] === ']')
    throw new BadPattern('syntax error in pattern');
  if (chunk[i] === '\\') {
    i += 1;
    if (i >= chunk.length) throw new BadPattern('syntax error in pattern');
  }
  const char = chunk[i] as string;
  if (i + 1 >= chunk.length) throw new BadPattern('syntax error in pattern');
  return { char, next: i + 1 };
}

/**
 * Matches one chunk (no stars) at the start of `s`: the rest of `s` when it matches, null
 * when not. The whole chunk is always parsed, so a malformed chunk throws even after a
 * mismatch.
 */
function matchChunk(chunk: readonly string[], s: readonly string[], from: number): number | null {
  let failed = false;
  let pos = from;
  let i = 0;
  while (i < chunk.length) {
    if (!failed && pos >= s.length) failed = true;
    const c = chunk[i] as string;
    if (c === '[') {
      const r = failed ? undefined : s[pos];
      if (!failed) pos += 1;
      i += 1;
      let negated = false;
      if (chunk[i] === '^') {
        negated = true;
        i += 1;
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (chunk[i] === ']' && ranges > 0) {
          i += 1;
          break;
        }
        const lo = classChar(chunk, i);
        let hi = lo;
        if (chunk[lo.next] === '-') hi = classChar(chunk, lo.next + 1);
        i = hi.next;
        if (r !== undefined) {
          const code = r.codePointAt(0) as number;
          if ((lo.char.codePointAt(0) as number) <= code && code <= (hi.char.codePointAt(0) as number))
            matched = true;
        }
        ranges += 1;
      }
      if (matched === negated) failed = true;
    } else if (c === '?') {
      if (!failed) {
        if (s[pos] === '/') failed = true;
        pos += 1;
      }
      i += 1;
    } else {
      let literal = c;
      if (c === '\\') {
        i += 1;
        if (i >= chunk.length) throw new BadPattern('syntax error in pattern');
        literal = chunk[i] as string;
      }
      if (!failed) {
        if (s[pos] !== literal) failed = true;
        pos += 1;
      }
      i += 1;
    }
  }
  return failed ? null : pos;
}

/**
 * Go's `filepath.Match(pattern, name)` with `/` as separator; throws BadPattern where Go
 * returns `ErrBadPattern`.
 */
export function filepathMatch(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const s = Array.from(name);
  let at = 0;
  let pos = 0;
  outer: while (at < p.length) {
    const { star, start, end } = scanChunk(p, at);
    at = end;
    const chunk = p.slice(start, end);
    const last = at >= p.length;
    if (star && chunk.length === 0) return !s.slice(pos).includes('/');
    const here = matchChunk(chunk, s, pos);
    if (here !== null && (here === s.length || !last)) {
      pos = here;
      continue;
    }
    if (star) {
      for (let skip = pos; skip < s.length && s[skip] !== '/'; skip += 1) {
        const next = matchChunk(chunk, s, skip + 1);
        if (next === null) continue;
        if (last && next < s.length) continue;
        pos = next;
        continue outer;
      }
    }
    // No match, and (as in Go) the rest of the pattern is not examined.
    return false;
  }
  return pos === s.length;
}

/**
 * Why a pattern is malformed for filepath.Match, or undefined. Go reports it only once
 * matching reaches the bad chunk, but every chunk must parse for a match, so a malformed
 * pattern matches no name at all.
 */
export function filepathPatternError(pattern: string): string | undefined {
  const p = Array.from(pattern);
  try {
    for (let at = 0; at < p.length; ) {
      const { start, end } = scanChunk(p, at);
      matchChunk(p.slice(start, end), [], 0);
      at = end;
    }
    return undefined;
  } catch (err) {
    if (err instanceof BadPattern) return err.message;
    throw err;
  }
}

/** Escapes for a RegExp with the `u` flag: outside a class, and inside one. */
const escapeRegExp = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const escapeClass = (c: string) => c.replace(/[\\^[\]/-]/g, '\\$&');

/** Compiles a gobwas/glob pattern to an anchored RegExp; throws BadPattern where gobwas fails to compile. */
export function compileGlob(pattern: string, separators: readonly string[] = []): RegExp {
  const p = Array.from(pattern);
  const notSep = separators.length === 0 ? '[\\s\\S]' : `[^${separators.map(escapeClass).join('')}]`;
  let i = 0;
  let depth = 0;
  const readText = (breakers: string): string => {
    let out = '';
    while (i < p.length) {
      const c = p[i] as string;
      if (c === '\\') {
        i += 1;
        if (i < p.length) out += p[i];
        i += 1;
        continue;
      }
      if (breakers.includes(c)) break;
      out += c;
      i += 1;
    }
    return out;
  };
  const readClass = (): string => {
    // `[` already read.
    let not = false;
    if (p[i] === '!') {
      not = true;
      i += 1;
    }
    if (i >= p.length) throw new BadPattern('unexpected end of input');
    let body: string;
    if (p[i + 1] === '-') {
      const lo = p[i] as string;
      const hi = p[i + 2];
      if (hi === undefined) throw new BadPattern('unexpected end of input');
      if ((hi.codePointAt(0) as number) < (lo.codePointAt(0) as number))
        throw new BadPattern(`hi character '${hi}' should be greater than lo '${lo}'`);
      i += 3;
      body = `${escapeClass(lo)}-${escapeClass(hi)}`;
    } else {
      const chars = readText(']');
      if (chars === '') throw new BadPattern('could not parse range');
      body = Array.from(chars).map(escapeClass).join('');
    }
    if (i >= p.length) throw new BadPattern('unexpected end of input');
    if (p[i] !== ']') throw new BadPattern('expected close range character');
    i += 1;
    return `[${not ? '^' : ''}${body}]`;
  };
  let out = '';
  while (i < p.length) {
    const c = p[i] as string;
    if (c === '{') {
      depth += 1;
      i += 1;
      out += '(?:';
    } else if (c === ',' && depth > 0) {
      i += 1;
      out += '|';
    } else if (c === '}' && depth > 0) {
      depth -= 1;
      i += 1;
      out += ')';
    } else if (c === '[') {
      i += 1;
      out += readClass();
    } else if (c === '?') {
      i += 1;
      out += notSep;
    } else if (c === '*') {
      if (p[i + 1] === '*') {
        i += 2;
        out += '[\\s\\S]*';
      } else {
        i += 1;
        out += `${notSep}*`;
      }
    } else {
      const text = readText(depth > 0 ? '?*[{},' : '?*[{');
      out += Array.from(text).map(escapeRegExp).join('');
    }
  }
  // An unclosed `{` closes at the end (gobwas compiles `{a,b` as `{a,b}`).
  out += ')'.repeat(depth);
  return new RegExp(`^${out}$`, 'u');
}

/** The error gobwas/glob gives compiling a pattern, or undefined. */
export function globPatternError(pattern: string): string | undefined {
  try {
    compileGlob(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof BadPattern) return err.message;
    throw err;
  }
}

/**
 * Argo CD's project `globMatch(pattern, value, allowNegation=true, separators)`: `!p` matches
 * what `p` does not, `*` matches everything, a pattern that does not compile nothing.
 */
export function argoGlobMatch(pattern: string, value: string, separators: readonly string[] = []): boolean {
  const match = (p: string) => {
    try {
      return compileGlob(p, separators).test(value);
    } catch (err) {
      if (err instanceof BadPattern) return false;
      throw err;
    }
  };
  if (pattern.startsWith('!')) return !match(pattern.slice(1));
  if (pattern === '*') return true;
  return match(pattern);
}

/** filepath.Match as Argo CD calls it for resource lists: an error is no match. */
export function resourceMatch(pattern: string, value: string): boolean {
  try {
    return filepathMatch(pattern, value);
  } catch (err) {
    if (err instanceof BadPattern) return false;
    throw err;
  }
}
