/**
 * The Traefik v3 rule subset the manifests use: Host(`h`), PathPrefix(`/p`), Path(`/p`)
 * and Header(`name`, `value`) joined by &&. Anything else is refused: the lab never
 * approximates a rule it does not understand.
 */
export type Matcher =
  | { readonly kind: 'Host'; readonly host: string }
  | { readonly kind: 'PathPrefix'; readonly prefix: string }
  | { readonly kind: 'Path'; readonly path: string }
  | { readonly kind: 'Header'; readonly name: string; readonly value: string };

export class RuleError extends Error {
  override name = 'RuleError';
}

const TERM = /^\s*([A-Za-z]+)\(\s*((?:`[^`]*`\s*,\s*)*`[^`]*`)\s*\)\s*$/;

export function parseRule(rule: string): Matcher[] {
  if (/\|\||!|\(\s*[A-Za-z]+\(/.test(rule)) {
    throw new RuleError(`"${rule}": only && of matchers is supported (no ||, ! or grouping)`);
  }
  return rule.split('&&').map((term) => {
    const m = TERM.exec(term);
    if (m?.[1] === undefined || m[2] === undefined)
      throw new RuleError(`"${rule}": cannot parse "${term.trim()}"`);
    const args = [...m[2].matchAll(/`([^`]*)`/g)].map((a) => a[1] ?? '');
    const arity = (n: number) => {
      if (args.length !== n)
        throw new RuleError(`"${rule}": ${m[1]} takes ${n} argument(s), got ${args.length}`);
    };
    switch (m[1]) {
      case 'Host':
        arity(1);
        return { kind: 'Host', host: (args[0] ?? '').toLowerCase() };
      case 'PathPrefix':
        arity(1);
        return { kind: 'PathPrefix', prefix: args[0] ?? '' };
      case 'Path':
        arity(1);
        return { kind: 'Path', path: args[0] ?? '' };
      case 'Header':
        arity(2);
        return { kind: 'Header', name: (args[0] ?? '').toLowerCase(), value: args[1] ?? '' };
      default:
        throw new RuleError(
          `"${rule}": matcher ${m[1]} is not supported by the lab (supported: Host, PathPrefix, Path, Header)`,
        );
    }
  });
}

export interface HttpRequestView {
  /** Host without port, lower-case. */
  readonly host: string;
  readonly path: string;
  /** Lower-case names; a repeated header is a list. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

function matchOne(m: Matcher, request: HttpRequestView): boolean {
  switch (m.kind) {
    case 'Host':
      return request.host === m.host;
    case 'PathPrefix':
      return request.path.startsWith(m.prefix);
    case 'Path':
      return request.path === m.path;
    case 'Header': {
      const value = request.headers[m.name];
      // Traefik compares each value of the header exactly.
      return Array.isArray(value) ? value.includes(m.value) : value === m.value;
    }
  }
}

export function matches(matchers: readonly Matcher[], request: HttpRequestView): boolean {
  return matchers.every((m) => matchOne(m, request));
}
