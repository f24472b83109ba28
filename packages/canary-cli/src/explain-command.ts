import { CANARY_HEADER, parseServedBy } from 'canary-context';
import { type Explanation, labClient, type MeshHop } from 'local-runtime/lab';
import { GUARDED_ENTRYPOINT, PUBLIC_ENTRYPOINTS } from 'routing-model/traefik';
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
  const baseUrl = options.baseUrl ?? `http://localhost:${client?.info.entrypoints[GUARDED_ENTRYPOINT]}`;
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
  let why: Explanation | undefined;
  let entryPoint: string | undefined;
  let running: string[] = [];
  const port = Number(url.port || 80);
  if (client !== undefined && ['localhost', '127.0.0.1'].includes(url.hostname)) {
    entryPoint = Object.entries(client.info.entrypoints).find(([, p]) => p === port)?.[0];
    if (entryPoint !== undefined) {
      why = await client.explain({ entryPoint, host: url.host, path: url.pathname, headers });
      running = (await client.status()).canaries.map((c) => String(c.pr));
    }
  }
  for (const line of explanationLines({
    status: response.status,
    key: options.pr ?? headers[CANARY_HEADER],
    echo: response.headers.get('x-canary-echo'),
    keyError: response.headers.get('x-canary-error'),
    hops: parseServedBy(response.headers.get('x-served-by') ?? undefined),
    entryPoint,
    why,
    running,
    lab: client !== undefined,
  }))
    say(line);
  return response.status < 500 ? 0 : 1;
}

/** What explain knows about one request: the answer, and (against the lab) how it was routed. */
export interface ExplainFacts {
  readonly status: number;
  /** The X-Canary the request carried, if any. */
  readonly key: string | undefined;
  readonly echo: string | null;
  readonly keyError: string | null;
  /** X-Served-By of the answer, one entry per service, in call order. */
  readonly hops: readonly string[];
  /** The lab entrypoint the request went to (undefined: not the lab's). */
  readonly entryPoint: string | undefined;
  readonly why: Explanation | undefined;
  /** PR numbers the lab runs canaries for. */
  readonly running: readonly string[];
  /** A lab is running from this checkout. */
  readonly lab: boolean;
}

/** Who answered a hop, in a newcomer's words. */
const whoServes = (backend: string | null, pr: string | null) =>
  backend === null
    ? 'nobody: the call fails'
    : pr === null
      ? `stable (${backend})`
      : `PR ${pr}'s canary (${backend})`;

function edgeLines(edge: NonNullable<Explanation['edge']>): string[] {
  const priority = `${edge.explicitPriority ? '' : 'default '}priority ${edge.priority}`;
  const head =
    edge.pr === null
      ? `edge: no canary route matched: stable. Decided by ${edge.route} (${priority})`
      : `edge: PR ${edge.pr}'s canary route decided: ${edge.route} (${priority})`;
  return [
    head,
    `      rule ${edge.rule} → ${whoServes(edge.backend, edge.pr)}${edge.middlewares.length > 0 ? `, through middlewares ${edge.middlewares.join(', ')}` : ''}`,
    ...edge.outranked.map((loser) => `      it outranks ${loser}`),
  ];
}

function meshLines(hop: MeshHop, key: string | null): string[] {
  const service = hop.parent.split('.')[0] ?? hop.parent;
  const head =
    hop.backend === null
      ? `mesh: the call to ${service} matched no route: it fails (routes are attached to ${hop.parent}, none matches)`
      : hop.byKey || hop.pr !== null
        ? `mesh: the call to ${service} matched ${hop.byKey ? `PR ${hop.pr}'s canary route` : 'the route'}: ${hop.rule} → ${whoServes(hop.backend, hop.pr)}`
        : `mesh: the call to ${service}: no canary route matched: ${whoServes(hop.backend, hop.pr)}`;
  return [head, `      sent with ${CANARY_HEADER}: ${key ?? '(none)'}`];
}

/** The lines explain prints for a request: the answer, each hop, and the route that decided it. */
export function explanationLines(facts: ExplainFacts): string[] {
  const out: string[] = [];
  const { why } = facts;
  if (facts.echo !== null) out.push(`  key accepted: ${facts.echo}`);
  if (facts.keyError !== null)
    out.push(`  key ignored: ${facts.keyError} (served as stable, not propagated)`);
  const publicEntry = facts.entryPoint !== undefined && PUBLIC_ENTRYPOINTS.has(facts.entryPoint);
  if (facts.entryPoint !== undefined)
    out.push(
      `  entrypoint ${facts.entryPoint}: ${publicEntry ? `public (X-Canary and baggage are removed, answers lose their internal headers)` : 'guarded (X-Canary is honoured)'}`,
    );
  if (why !== undefined) {
    out.push(
      `  the lab's edge: ${why.edgeKind === 'traefik' ? 'real Traefik (lab up --edge traefik)' : "the lab's emulation of Traefik"}`,
    );
    if (facts.key !== undefined && why.propagatedKey === null && facts.keyError === null)
      out.push(`  X-Canary: ${facts.key} was removed at the edge: every hop is stable`);
    else if (why.propagatedKey !== null && !facts.running.includes(why.propagatedKey))
      out.push(`  no canary for PR ${why.propagatedKey} in the lab: every hop stable`);
  }
  // The routing the lab did, one line group per hop (edge first, then each gRPC call).
  const routing: string[][] =
    why === undefined
      ? []
      : [
          why.edge === null ? [] : edgeLines(why.edge),
          ...why.mesh.map((hop) => meshLines(hop, why.propagatedKey)),
        ];
  if (facts.hops.length > 0) {
    facts.hops.forEach((hop, i) => {
      out.push(`  hop ${i + 1}  ${hop}`);
      for (const line of routing[i] ?? []) out.push(`         ${line}`);
    });
  } else if (why !== undefined && why.edge === null) {
    out.push('  no edge route matches this request: the edge answered it itself (no service reached)');
  } else if (why !== undefined) {
    // A public entrypoint strips X-Served-By from answers: the hops come from the lab's routes.
    out.push(
      `  the answer carries no X-Served-By${publicEntry ? ' (this entrypoint removes it)' : ''}; the lab routed it so:`,
    );
    routing.forEach((lines, i) => {
      out.push(`  hop ${i + 1}`);
      for (const line of lines) out.push(`         ${line}`);
    });
  } else if (facts.status < 500) {
    out.push(
      '  the answer carries no X-Served-By: a public entrypoint removes it (use the guarded one to see each hop)',
    );
  } else {
    out.push('  no X-Served-By: no service answered (the error came from the edge or a proxy)');
  }
  if (!facts.lab) out.push('  (not the lab: route details unavailable)');
  return out;
}
