/**
 * The part of Go text/template (with Sprig's `has`) that the ApplicationSets use, evaluated
 * with `missingkey=error`:
 *
 *   {{ .a.b }}                              a parameter, nested fields by dots
 *   {{ if COND }}…{{ else }}…{{ end }}      COND: `.a.b` (truthy), `has "x" .list`, `eq .a "x"`,
 *                                           `has (printf "x%sy" .a) .list` (one %s)
 *   {{- … -}}                               whitespace trimming
 *
 * Anything else (other functions, pipelines, range, variables) is refused with the place
 * it occurs, so a template never renders differently here than in Argo CD.
 */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Params = Readonly<Record<string, unknown>>;

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly path: readonly string[]; readonly source: string }
  | { readonly kind: 'if'; readonly cond: Condition; readonly yes: Node[]; readonly no: Node[] };

type Condition =
  | { readonly kind: 'truthy'; readonly path: readonly string[] }
  | { readonly kind: 'has'; readonly needle: string; readonly path: readonly string[] }
  | {
      readonly kind: 'has-printf';
      readonly format: string;
      readonly arg: readonly string[];
      readonly path: readonly string[];
    }
  | { readonly kind: 'eq'; readonly path: readonly string[]; readonly value: string };

const ACTION = /\{\{(-?)\s*(.*?)\s*(-?)\}\}/gs;
const PATH = /^\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/;
const LITERAL = /^"((?:[^"\\]|\\.)*)"$/;

const parsePath = (token: string, where: string, whole: string): string[] => {
  const m = PATH.exec(token);
  if (m?.[1] === undefined) throw new TemplateError(`${where}: unsupported template action ${whole}`);
  return m[1].split('.');
};

const parseLiteral = (token: string, where: string, whole: string): string => {
  const m = LITERAL.exec(token);
  if (m?.[1] === undefined) throw new TemplateError(`${where}: expected a "string" in ${whole}`);
  return JSON.parse(`"${m[1]}"`) as string;
};

/** Splits `has "a b" .x` into tokens, keeping quoted strings whole. */
const tokens = (expr: string): string[] => expr.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];

/** `has (printf "x%sy" .a) .list`: Sprig's has with a needle Go's printf builds from one string. */
const HAS_PRINTF = /^has\s+\(printf\s+("(?:[^"\\]|\\.)*")\s+(\S+)\)\s+(\S+)$/;

function parseCondition(expr: string, where: string, whole: string): Condition {
  const printf = HAS_PRINTF.exec(expr);
  if (printf?.[1] !== undefined && printf[2] !== undefined && printf[3] !== undefined) {
    const format = parseLiteral(printf[1], where, whole);
    if (format.split('%').length !== 2 || !format.includes('%s'))
      throw new TemplateError(`${where}: printf format ${printf[1]} must hold exactly one %s in ${whole}`);
    return {
      kind: 'has-printf',
      format,
      arg: parsePath(printf[2], where, whole),
      path: parsePath(printf[3], where, whole),
    };
  }
  const t = tokens(expr);
  if (t.length === 1 && t[0] !== undefined) return { kind: 'truthy', path: parsePath(t[0], where, whole) };
  if (t.length === 3 && t[0] === 'has' && t[1] !== undefined && t[2] !== undefined)
    return { kind: 'has', needle: parseLiteral(t[1], where, whole), path: parsePath(t[2], where, whole) };
  if (t.length === 3 && t[0] === 'eq' && t[1] !== undefined && t[2] !== undefined) {
    const literalFirst = t[1].startsWith('"');
    return {
      kind: 'eq',
      path: parsePath(literalFirst ? t[2] : t[1], where, whole),
      value: parseLiteral(literalFirst ? t[1] : t[2], where, whole),
    };
  }
  throw new TemplateError(
    `${where}: unsupported condition in ${whole} (supported: .param, has "x" .list, eq .param "x", has (printf "x%s" .param) .list)`,
  );
}

/** Parses a template into nodes; errors name the template's place and the action. */
function parse(text: string, where: string): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: { cond: Condition; yes: Node[]; no: Node[] }; inElse: boolean }> = [];
  const target = () => {
    const top = stack.at(-1);
    return top === undefined ? root : top.inElse ? top.node.no : top.node.yes;
  };
  let last = 0;
  let trimNext = false;
  for (const match of text.matchAll(ACTION)) {
    const [whole, trimLeft, inner = '', trimRight] = match;
    let chunk = text.slice(last, match.index);
    if (trimNext) chunk = chunk.replace(/^\s+/, '');
    if (trimLeft === '-') chunk = chunk.replace(/\s+$/, '');
    if (chunk !== '') target().push({ kind: 'text', text: chunk });
    last = (match.index ?? 0) + whole.length;
    trimNext = trimRight === '-';
    if (inner.startsWith('if ')) {
      const node = { cond: parseCondition(inner.slice(3).trim(), where, whole), yes: [], no: [] };
      target().push({ kind: 'if', ...node });
      stack.push({ node, inElse: false });
    } else if (inner === 'else') {
      const top = stack.at(-1);
      if (top === undefined || top.inElse) throw new TemplateError(`${where}: {{ else }} without {{ if }}`);
      top.inElse = true;
    } else if (inner === 'end') {
      if (stack.pop() === undefined) throw new TemplateError(`${where}: {{ end }} without {{ if }}`);
    } else {
      target().push({ kind: 'value', path: parsePath(inner, where, whole), source: whole });
    }
  }
  if (stack.length > 0) throw new TemplateError(`${where}: {{ if }} without {{ end }}`);
  let rest = text.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  if (rest !== '') root.push({ kind: 'text', text: rest });
  return root;
}

function lookup(params: Params, path: readonly string[], where: string): unknown {
  let current: unknown = params;
  for (const [i, key] of path.entries()) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      throw new TemplateError(
        `${where}: map has no entry for key "${path.slice(0, i + 1).join('.')}" (missingkey=error)`,
      );
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const truthy = (value: unknown): boolean =>
  Array.isArray(value)
    ? value.length > 0
    : typeof value === 'object' && value !== null
      ? Object.keys(value).length > 0
      : Boolean(value);

function holds(cond: Condition, params: Params, where: string): boolean {
  const value = lookup(params, cond.path, where);
  switch (cond.kind) {
    case 'truthy':
      return truthy(value);
    case 'has':
      if (!Array.isArray(value))
        throw new TemplateError(`${where}: has: .${cond.path.join('.')} is not a list`);
      return value.includes(cond.needle);
    case 'eq':
      return String(value) === cond.value;
    case 'has-printf': {
      if (!Array.isArray(value))
        throw new TemplateError(`${where}: has: .${cond.path.join('.')} is not a list`);
      const arg = lookup(params, cond.arg, where);
      if (typeof arg !== 'string' && typeof arg !== 'number')
        throw new TemplateError(`${where}: printf: .${cond.arg.join('.')} is not a scalar`);
      return value.includes(cond.format.replace('%s', String(arg)));
    }
  }
}

function evaluate(nodes: readonly Node[], params: Params, where: string): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'if')
      out += evaluate(holds(node.cond, params, where) ? node.yes : node.no, params, where);
    else {
      const value = lookup(params, node.path, where);
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new TemplateError(
          `${where}: ${node.source} is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}, not a scalar`,
        );
      }
      out += String(value);
    }
  }
  return out;
}

/** Renders one string. */
export function renderString(text: string, params: Params, where = 'template'): string {
  return evaluate(parse(text, where), params, where);
}

/** Renders every string inside `value` (keys are not templated, as in Argo CD). */
export function renderTemplate<T>(value: T, params: Params, where = 'template'): T {
  if (typeof value === 'string') return renderString(value, params, where) as T;
  if (Array.isArray(value)) return value.map((v, i) => renderTemplate(v, params, `${where}[${i}]`)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderTemplate(v, params, `${where}.${k}`)]),
    ) as T;
  }
  return value;
}
