import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Lab, LabStatus } from './lab.ts';
import type { ExplainRequest, Explanation } from './routers.ts';

/** Where a running lab writes how to reach its control endpoint. */
export const controlFile = (repoRoot: string) => join(repoRoot, '.lab', 'control.json');

interface ControlInfo {
  readonly url: string;
  readonly pid: number;
  readonly entrypoints: Record<string, number>;
  /** Sent by clients in `x-lab-secret`; the file is readable by its owner only. */
  readonly secret: string;
}

/** The header that carries the control secret. */
export const CONTROL_SECRET_HEADER = 'x-lab-secret';

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;

/**
 * Only the lab's own clients: a loopback Host header (a page that rebinds its DNS name to
 * 127.0.0.1 still sends its own name) and the secret from the control file (which another
 * local user cannot read).
 */
function allowed(req: IncomingMessage, secret: string): string | undefined {
  if (!LOOPBACK_HOST.test(req.headers.host ?? '')) return 'Host must be a loopback address';
  const given = Buffer.from(String(req.headers[CONTROL_SECRET_HEADER] ?? ''));
  const want = Buffer.from(secret);
  if (given.length !== want.length || !timingSafeEqual(given, want))
    return `missing or wrong ${CONTROL_SECRET_HEADER} (it is in ${'.lab/control.json'})`;
  return undefined;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 0
    ? {}
    : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
}

const strings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

/** The body of PUT /canaries/<N>, checked field by field (Lab.add checks what env may hold). */
function addOptions(raw: Record<string, unknown>): {
  services?: string[];
  ref?: string;
  isolatedData?: boolean;
  env?: Record<string, string>;
} {
  const { services, ref, isolatedData, env } = raw;
  if (services !== undefined && !strings(services)) throw new Error('services: must be a list of names');
  if (ref !== undefined && typeof ref !== 'string') throw new Error('ref: must be a git ref');
  if (isolatedData !== undefined && typeof isolatedData !== 'boolean')
    throw new Error('isolatedData: must be true or false');
  if (
    env !== undefined &&
    (typeof env !== 'object' ||
      env === null ||
      Array.isArray(env) ||
      !Object.values(env).every((v) => typeof v === 'string'))
  )
    throw new Error('env: must map names to strings');
  return {
    ...(services === undefined ? {} : { services }),
    ...(ref === undefined ? {} : { ref }),
    ...(isolatedData === undefined ? {} : { isolatedData }),
    ...(env === undefined ? {} : { env: env as Record<string, string> }),
  };
}

/**
 * The lab's control endpoint (loopback only): `lab add`, `lab rm`, `lab status` and
 * `explain` talk to the running lab here instead of editing its files. Long operations
 * stream progress as NDJSON lines, ending with {"done": …} or {"error": …}.
 */
export async function serveControl(
  lab: Lab,
  repoRoot: string,
  progressSink: Set<(line: string) => void>,
): Promise<{ server: Server; close(): Promise<void> }> {
  const secret = randomBytes(24).toString('base64url');
  const server = createServer((req, res) => {
    const refused = allowed(req, secret);
    if (refused !== undefined) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `lab control: ${refused}` }));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://lab');
    const stream = (work: (say: (line: string) => void) => Promise<unknown>) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const say = (line: string) => res.write(`${JSON.stringify({ progress: line })}\n`);
      progressSink.add(say);
      work(say)
        .then(
          (done) => res.end(`${JSON.stringify({ done: done ?? true })}\n`),
          (err: unknown) => res.end(`${JSON.stringify({ error: (err as Error).message })}\n`),
        )
        .finally(() => progressSink.delete(say));
    };
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    (async () => {
      if (req.method === 'GET' && url.pathname === '/status') return json(200, lab.status());
      if (req.method === 'POST' && url.pathname === '/explain')
        return json(200, lab.explain((await body(req)) as unknown as ExplainRequest));
      if (req.method === 'POST' && url.pathname === '/restart') {
        const { service, pr } = (await body(req)) as { service?: string; pr?: number };
        if (typeof service !== 'string') return json(400, { error: 'service is required' });
        return stream(() => lab.restart(service, pr));
      }
      const canary = /^\/canaries\/([0-9]+)$/.exec(url.pathname);
      if (req.method === 'PUT' && canary?.[1] !== undefined) {
        const options = addOptions(await body(req));
        return stream(async () => {
          const added = await lab.add(Number(canary[1]), {
            services: options.services ?? lab.serviceNames,
            ...(options.ref === undefined ? {} : { ref: options.ref }),
            ...(options.isolatedData === undefined ? {} : { isolatedData: options.isolatedData }),
            ...(options.env === undefined ? {} : { env: options.env }),
          });
          return { pr: added.pr, services: added.services, sha: added.sha };
        });
      }
      if (req.method === 'DELETE' && canary?.[1] !== undefined)
        return stream(() => lab.remove(Number(canary[1])));
      return json(404, { error: `no ${req.method} ${url.pathname}` });
    })().catch((err: unknown) => json(400, { error: (err as Error).message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const info: ControlInfo = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pid: process.pid,
    entrypoints: { internal: lab.ports.internal, websecure: lab.ports.websecure },
    secret,
  };
  await mkdir(join(repoRoot, '.lab'), { recursive: true });
  await rm(controlFile(repoRoot), { force: true });
  await writeFile(controlFile(repoRoot), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  return {
    server,
    async close() {
      await rm(controlFile(repoRoot), { force: true });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface LabClient {
  readonly info: ControlInfo;
  status(): Promise<LabStatus>;
  add(
    pr: number,
    options: { services?: string[]; ref?: string; isolatedData?: boolean; env?: Record<string, string> },
    progress?: (line: string) => void,
  ): Promise<unknown>;
  remove(pr: number, progress?: (line: string) => void): Promise<unknown>;
  restart(service: string, pr: number | undefined, progress?: (line: string) => void): Promise<unknown>;
  explain(request: ExplainRequest): Promise<Explanation>;
}

/** Connects to the lab running from this checkout; a clear error when none is. */
export async function labClient(repoRoot: string): Promise<LabClient> {
  let info: ControlInfo;
  try {
    info = JSON.parse(await readFile(controlFile(repoRoot), 'utf8')) as ControlInfo;
  } catch {
    throw new Error("no lab is running from this checkout (start one with 'npm start' or 'canary lab up')");
  }
  const call = async (method: string, path: string, payload?: unknown) => {
    try {
      return await fetch(`${info.url}${path}`, {
        method,
        headers: {
          [CONTROL_SECRET_HEADER]: info.secret,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
      });
    } catch {
      throw new Error(
        `the lab at ${info.url} does not answer (stale ${controlFile(repoRoot)}? start it again)`,
      );
    }
  };
  const streamed = async (response: Response, progress?: (line: string) => void) => {
    let result: unknown;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body ?? []) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = JSON.parse(buffer.slice(0, newline)) as {
          progress?: string;
          done?: unknown;
          error?: string;
        };
        buffer = buffer.slice(newline + 1);
        if (line.progress !== undefined) progress?.(line.progress);
        if (line.error !== undefined) throw new Error(line.error);
        if (line.done !== undefined) result = line.done;
        newline = buffer.indexOf('\n');
      }
    }
    return result;
  };
  return {
    info,
    status: async () => (await (await call('GET', '/status')).json()) as LabStatus,
    add: async (pr, options, progress) => streamed(await call('PUT', `/canaries/${pr}`, options), progress),
    remove: async (pr, progress) => streamed(await call('DELETE', `/canaries/${pr}`), progress),
    restart: async (service, pr, progress) =>
      streamed(await call('POST', '/restart', { service, ...(pr === undefined ? {} : { pr }) }), progress),
    explain: async (request) => (await (await call('POST', '/explain', request)).json()) as Explanation,
  };
}
