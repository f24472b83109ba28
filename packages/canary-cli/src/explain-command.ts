import { CANARY_HEADER, parseServedBy } from 'canary-context';
import { type Explanation, labClient } from 'local-runtime/lab';
import { labToken } from './token-command.ts';

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

/** Sends one request and prints the hops that served it; against the lab, also which route matched at each hop and why. */
export async function explainCommand(options: ExplainOptions): Promise<number> {
  const client = await labClient(options.repoRoot).catch(() => undefined);
  if (client === undefined && options.baseUrl === undefined) {
    throw new Error(
      'no lab is running from this checkout: start one with `npm start`, or explain a request to a running system with --base-url URL',
    );
  }
  const baseUrl = options.baseUrl ?? `http://localhost:${client?.info.entrypoints.internal}`;
  const url = new URL(options.path, baseUrl);
  const headers: Record<string, string> = { 'x-tenant-id': options.tenant };
  // Against the lab, authenticated as the api demands (a token from the lab's issuer).
  if (client !== undefined)
    headers.authorization = `Bearer ${await labToken(options.repoRoot, options.tenant)}`;
  if (options.pr !== undefined) headers[CANARY_HEADER] = options.pr;
  for (const h of options.headers) {
    const colon = h.indexOf(':');
    if (colon < 1) throw new Error(`-H: expected "Name: value", got ${JSON.stringify(h)}`);
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(url, { method: options.method, headers, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(
      `nothing answers at ${url.origin} (${cause})${options.baseUrl === undefined ? `: the lab's control file names it, but the lab is gone; start it again with \`npm start\`` : '; check --base-url'}`,
    );
  }
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
  if (hops.length === 0) say('  no X-Served-By: the request reached no service');

  let why: Explanation | undefined;
  const port = Number(url.port || 80);
  if (client !== undefined && ['localhost', '127.0.0.1'].includes(url.hostname)) {
    const entryPoint = Object.entries(client.info.entrypoints).find(([, p]) => p === port)?.[0];
    if (entryPoint !== undefined) {
      why = await client.explain({ entryPoint, host: url.host, path: url.pathname, headers });
      if (options.pr !== undefined && why.propagatedKey !== null) {
        const running = (await client.status()).canaries.map((c) => String(c.pr));
        if (!running.includes(why.propagatedKey))
          say(`  no canary for PR ${why.propagatedKey} in the lab: every hop stable`);
      }
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
    const mesh = i === 0 ? undefined : why.mesh[i - 1];
    if (mesh !== undefined) {
      say(
        `         mesh: call to ${mesh.parent}: ${mesh.rule ?? 'no GRPCRoute rule matches: the parent Service'} → ${mesh.backend ?? 'none (call fails)'}`,
      );
      say(`               metadata ${CANARY_HEADER}: ${why.propagatedKey ?? '(none propagated)'}`);
    }
  });
  if (client === undefined) say('  (not the lab: route details unavailable)');
  return response.status < 500 ? 0 : 1;
}
