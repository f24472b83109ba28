// The requests the edge differential test sends to the lab's edge and to real Traefik:
// hosts with and without ports and case, preview hosts, header spellings, duplicates and
// whitespace, PR numbers in and out of range, both entrypoints, several paths.
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface CorpusRequest {
  readonly id: string;
  readonly entrypoint: 'internal' | 'websecure';
  readonly host: string;
  readonly path: string;
  /** Header lines exactly as sent (name: value), Host excluded. */
  readonly lines: readonly string[];
}

/** Hosts: the API host in several spellings, preview hosts, and one the platform does not serve. */
function hosts(api: string, prs: { withEdge: number; withoutEdge: number; unknown: number }): string[] {
  return [
    api,
    api.toUpperCase(),
    `${api}:8443`,
    `${api}.`,
    `pr-${prs.withEdge}.${api}`,
    `PR-${prs.withEdge}.${api}:443`,
    `pr-${prs.withoutEdge}.${api}`,
    `pr-${prs.unknown}.${api}`,
    `pr-0${prs.withEdge}.${api}`,
    'unknown.example.com',
  ];
}

/** X-Canary spellings and values, as header lines. */
function keys(prs: { withEdge: number; withoutEdge: number; unknown: number; largest: number }): string[][] {
  const a = String(prs.withEdge);
  return [
    [],
    [`X-Canary: ${a}`],
    [`x-canary: ${a}`],
    [`X-CANARY: ${a}`],
    [`X-Canary:   ${a}   `],
    [`X-Canary: ${prs.withoutEdge}`],
    [`X-Canary: ${prs.unknown}`],
    [`X-Canary: ${prs.largest}`],
    ['X-Canary: 99999999999999999999'],
    ['X-Canary: 0'],
    [`X-Canary: 0${a}`],
    ['X-Canary: abc'],
    [`X-Canary: ${a}`, `X-Canary: ${prs.withoutEdge}`],
    [`X-Canary: ${prs.withoutEdge}`, `X-Canary: ${a}`],
    [`X-Canary: ${a}, ${prs.withoutEdge}`],
    ['X-Canary: '],
    [`baggage: canary=${a}`, `X-Canary: ${a}`],
    [`X-Forwarded-For: 203.0.113.9`, `X-Canary: ${a}`],
  ];
}

const PATHS = ['/v1/items', '/healthz', '/v1/items?limit=1', '/', '/v1/items/../openapi.json'];

/** Every host × key × entrypoint, with the path rotating: 10 × 18 × 2 = 360 requests. */
export function buildCorpus(
  api: string,
  prs: { withEdge: number; withoutEdge: number; unknown: number; largest: number },
): CorpusRequest[] {
  const out: CorpusRequest[] = [];
  let n = 0;
  for (const entrypoint of ['internal', 'websecure'] as const)
    for (const [h, host] of hosts(api, prs).entries())
      for (const [k, lines] of keys(prs).entries()) {
        const path = PATHS[n++ % PATHS.length] as string;
        out.push({ id: `${entrypoint}/h${h}/k${k}`, entrypoint, host, path, lines });
      }
  return out;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string[]>;
  readonly body: string;
}

/** The payload of a chunked body (extensions and trailers ignored). */
function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const end = rest.indexOf('\r\n');
    if (end < 0) return out;
    const size = Number.parseInt(rest.slice(0, end).split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) return out;
    out += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 2 + size + 2);
  }
}

/** Sends one request as bytes (TLS when `tls`), with `Connection: close`, and reads the whole answer. */
export function sendRaw(
  port: number,
  tls: boolean,
  request: CorpusRequest,
  timeoutMs = 5_000,
): Promise<RawAnswer> {
  const text = [
    `GET ${request.path} HTTP/1.1`,
    `Host: ${request.host}`,
    ...request.lines,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  const servername = request.host.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
  return new Promise((resolve, reject) => {
    const socket = tls
      ? tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false })
      : netConnect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => socket.destroy(new Error(`${request.id}: no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(text));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string[]> = {};
      for (const line of headerLines) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim().toLowerCase();
        headers[name] = [...(headers[name] ?? []), line.slice(i + 1).trim()];
      }
      let body = rest.join('\r\n\r\n');
      if ((headers['transfer-encoding'] ?? []).includes('chunked')) body = dechunk(body);
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body });
    });
  });
}

export interface GrpcCall {
  readonly id: string;
  readonly service: string;
  readonly method: string;
  /** x-canary values sent (each its own header line); [] sends none. */
  readonly canary: readonly string[];
}

/** gRPC calls for the mesh cross-check: services, methods and x-canary values, 2 × 4 × 10 = 80. */
export function buildGrpcCorpus(
  service: string,
  prs: { withMesh: readonly number[]; unknown: number },
): GrpcCall[] {
  const values: string[][] = [
    [],
    ...prs.withMesh.map((n) => [String(n)]),
    [String(prs.unknown)],
    ['abc'],
    [''],
    [`0${prs.withMesh[0]}`],
    [String(prs.unknown), String(prs.withMesh[0])],
    [`${prs.withMesh[0]}, ${prs.unknown}`],
  ];
  const out: GrpcCall[] = [];
  for (const svc of [service, `${service}Other`])
    for (const method of ['GetItem', 'ListItems', 'UpdateStock', 'NoSuchMethod'])
      for (const [k, canary] of values.slice(0, 10).entries())
        out.push({ id: `${svc}/${method}/k${k}`, service: svc, method, canary });
  return out;
}

export interface GrpcAnswer {
  readonly status: number;
  /** The echo's reply (JSON) when a backend answered. */
  readonly echo: string | undefined;
}

/** One unary call over h2c (prior knowledge) with an empty message; reads the answer's headers. */
export async function sendGrpc(port: number, call: GrpcCall, timeoutMs = 5_000): Promise<GrpcAnswer> {
  const { connect } = await import('node:http2');
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise<GrpcAnswer>((resolve, reject) => {
      session.on('error', reject);
      const headers: Record<string, string | string[]> = {
        ':method': 'POST',
        ':path': `/${call.service}/${call.method}`,
        'content-type': 'application/grpc',
        te: 'trailers',
      };
      if (call.canary.length > 0) headers['x-canary'] = [...call.canary];
      const stream = session.request(headers);
      const timer = setTimeout(() => stream.close(), timeoutMs);
      stream.on('response', (h) => {
        clearTimeout(timer);
        const echo = h['x-echo-reply'];
        resolve({ status: Number(h[':status'] ?? 0), echo: typeof echo === 'string' ? echo : undefined });
        stream.close();
      });
      stream.on('error', reject);
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  } finally {
    session.close();
  }
}
