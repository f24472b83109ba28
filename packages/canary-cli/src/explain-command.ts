import { parseServedBy } from 'canary-context';
import { labClient } from 'localdev/lab';

export interface ExplainOptions {
  readonly repoRoot: string;
  readonly baseUrl: string | undefined;
  readonly pr: string | undefined;
  readonly tenant: string;
  readonly headers: readonly string[];
  readonly method: string;
  readonly path: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

interface LabExplanation {
  edge: {
    route: string;
    rule: string;
    priority: number;
    explicitPriority: boolean;
    backend: string;
    middlewares: string[];
    outranked: string[];
  } | null;
  propagatedKey: string | null;
  mesh: { rule: string | null; backend: string | null };
}

/** Sends one request and prints the hops that served it; against the lab, also which route matched at each hop and why. */
export async function explainCommand(options: ExplainOptions): Promise<number> {
  const client = await labClient(options.repoRoot).catch(() => undefined);
  const baseUrl =
    options.baseUrl ??
    (client === undefined ? 'http://localhost:8080' : `http://localhost:${client.info.entrypoints.internal}`);
  const url = new URL(options.path, baseUrl);
  const headers: Record<string, string> = { 'x-tenant-id': options.tenant };
  if (options.pr !== undefined) headers['x-canary'] = options.pr;
  for (const h of options.headers) {
    const colon = h.indexOf(':');
    if (colon < 1) throw new Error(`-H: expected "Name: value", got ${JSON.stringify(h)}`);
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  const started = performance.now();
  const response = await fetch(url, { method: options.method, headers, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  const ms = Math.round(performance.now() - started);
  say(
    `${options.method} ${url.pathname}${url.search}${options.pr === undefined ? '' : ` with X-Canary: ${options.pr}`} → ${response.status} (${ms} ms)`,
  );
  const echo = response.headers.get('x-canary-echo');
  const error = response.headers.get('x-canary-error');
  if (echo !== null) say(`  key accepted: ${echo}`);
  if (error !== null) say(`  key ignored: ${error} (served as stable, not propagated)`);
  const hops = parseServedBy(response.headers.get('x-served-by') ?? undefined);
  if (hops.length === 0) say('  no X-Served-By: the request did not reach api-service');

  let why: LabExplanation | undefined;
  const port = Number(url.port || 80);
  if (client !== undefined && ['localhost', '127.0.0.1'].includes(url.hostname)) {
    const entryPoint = Object.entries(client.info.entrypoints).find(([, p]) => p === port)?.[0];
    if (entryPoint !== undefined) {
      why = (await client.explain({
        entryPoint,
        host: url.host,
        path: url.pathname,
        headers,
      })) as LabExplanation;
    }
  }
  hops.forEach((hop, i) => {
    say(`  hop ${i + 1}  ${hop}`);
    if (why === undefined) return;
    if (i === 0 && why.edge !== null) {
      say(
        `         edge: ${why.edge.route}, ${why.edge.explicitPriority ? '' : 'default '}priority ${why.edge.priority}`,
      );
      say(
        `               rule ${why.edge.rule} → ${why.edge.backend}${why.edge.middlewares.length > 0 ? `, middlewares ${why.edge.middlewares.join(', ')}` : ''}`,
      );
      for (const loser of why.edge.outranked) say(`               outranks ${loser}`);
    }
    if (i === 1) {
      say(
        `         mesh: ${why.mesh.rule ?? 'no GRPCRoute attached: the parent Service'} → ${why.mesh.backend ?? 'none (call fails)'}`,
      );
      say(`               metadata x-canary: ${why.propagatedKey ?? '(none propagated)'}`);
    }
  });
  if (client === undefined && options.baseUrl === undefined)
    say('  (no lab running from this checkout: route details unavailable)');
  return response.status < 500 ? 0 : 1;
}
