import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { BackendRef } from 'routing-model';
import { type MeshTable, routeMeshCall } from 'routing-model/mesh';
import { errorHeaders, type WriteOutcome } from 'store-contract';
import { type BackendResolver, downMessage } from './backends.ts';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(':') && !HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * grpc-message as the gRPC HTTP/2 protocol encodes it: printable ASCII except `%` as is,
 * every other byte of the UTF-8 as %XX. (encodeURIComponent would also encode `:`, `;`,
 * `/` …, which clients decode with decodeURI and so show percent-encoded.)
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A gRPC error answered by the router itself (trailers-only response), saying in the store
 * contract's metadata whether the call may have reached its backend (the api decides on that).
 */
function fail(stream: ServerHttp2Stream, code: number, message: string, outcome: WriteOutcome) {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc',
      'grpc-status': String(code),
      'grpc-message': encodeGrpcMessage(`lab mesh: ${message}`),
      ...errorHeaders({ outcome }),
    },
    { endStream: true },
  );
}

/**
 * The lab's Linkerd, in front of one parent Service: every gRPC call is matched against
 * the GRPCRoutes attached to it (Gateway API precedence) and proxied over HTTP/2 to the
 * chosen backend with headers, messages and trailers intact. A route whose backend is
 * not running fails the call with UNAVAILABLE naming the PR; it never falls back.
 */
export class MeshRouter {
  #table: MeshTable = new Map();
  readonly #parent: BackendRef;
  readonly #resolve: BackendResolver;
  readonly #sessions = new Map<string, ClientHttp2Session>();
  #server: Http2Server | undefined;
  port = 0;

  constructor(parent: BackendRef, resolve: BackendResolver) {
    this.#parent = parent;
    this.#resolve = resolve;
  }

  setTable(table: MeshTable): void {
    this.#table = table;
  }

  get table(): MeshTable {
    return this.#table;
  }

  /** The Service this router stands in front of. */
  get parent(): BackendRef {
    return this.#parent;
  }

  /** Which backend a call would go to, and by which rule. */
  decide(path: string, headers: Readonly<Record<string, string | readonly string[] | undefined>>) {
    const [, service = '', method = ''] = path.split('/');
    return routeMeshCall(this.#table, this.#parent, { service, method, headers });
  }

  #session(address: string): ClientHttp2Session {
    const existing = this.#sessions.get(address);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const session = connect(`http://${address}`);
    session.on('error', () => this.#sessions.delete(address));
    session.on('close', () => this.#sessions.delete(address));
    session.on('goaway', () => this.#sessions.delete(address));
    session.unref();
    this.#sessions.set(address, session);
    return session;
  }

  #handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: readonly string[]) {
    const path = String(headers[':path'] ?? '');
    // Repeated metadata is a list, each value matched on its own (as Traefik's GRPCRoute
    // implementation does: the edge differential test's mesh cross-check).
    const distinct: Record<string, string[]> = {};
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = String(rawHeaders[i]).toLowerCase();
      distinct[name] = [...(distinct[name] ?? []), String(rawHeaders[i + 1])];
    }
    const { rule, backend } = this.decide(path, distinct);
    if (backend === undefined) {
      fail(
        stream,
        14,
        `no GRPCRoute rule of ${this.#parent.name}.${this.#parent.namespace} matches ${path}`,
        'not_applied',
      );
      return;
    }
    const target = this.#resolve(backend);
    if (target.kind === 'down') {
      fail(stream, 14, downMessage(backend, target.reason), 'not_applied');
      return;
    }
    let upstream: ClientHttp2Stream;
    try {
      upstream = this.#session(target.address).request({
        ...forwardable(headers),
        ':method': 'POST',
        ':path': path,
        ':scheme': 'http',
        ':authority': String(headers[':authority'] ?? target.address),
      });
    } catch (err) {
      fail(stream, 14, downMessage(backend, (err as Error).message), 'not_applied');
      return;
    }
    let trailers: OutgoingHttpHeaders = {};
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    upstream.on('response', (responseHeaders) => {
      if (stream.destroyed) return;
      const out = forwardable(responseHeaders);
      if (rule !== undefined && rule !== null) out['x-lab-route'] = rule.id;
      // Trailers-only answer (an error without messages): forward it as one.
      const trailersOnly = responseHeaders['grpc-status'] !== undefined;
      stream.respond(
        { ':status': responseHeaders[':status'] ?? 200, ...out },
        trailersOnly ? { endStream: true } : { waitForTrailers: true },
      );
    });
    upstream.on('trailers', (t) => {
      trailers = forwardable(t);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!stream.destroyed) stream.write(chunk);
    });
    upstream.on('end', () => {
      if (!stream.destroyed && stream.headersSent && !stream.writableEnded) stream.end();
    });
    // A refused connection or stream delivered nothing; any other failure may have cut the
    // call in flight.
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const refused = err.code === 'ECONNREFUSED' || upstream.rstCode === constants.NGHTTP2_REFUSED_STREAM;
      fail(stream, 14, downMessage(backend, err.message), refused ? 'not_applied' : 'unknown');
    });
    upstream.on('close', () => {
      // A trailers-only upstream answer arrives as response headers with grpc-status and no body.
      if (!stream.headersSent && !stream.destroyed)
        fail(stream, 14, downMessage(backend, 'stream closed without a response'), 'unknown');
    });
    stream.on('data', (chunk: Buffer) => upstream.write(chunk));
    stream.on('end', () => upstream.end());
    // The client cancelled or its deadline passed: cancel upstream too.
    stream.on('close', () => {
      if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    const server = createServer();
    server.on('stream', (stream, headers, _flags, rawHeaders) => this.#handle(stream, headers, rawHeaders));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const session of this.#sessions.values()) session.close();
    await new Promise<void>((resolve) =>
      this.#server === undefined ? resolve() : this.#server.close(() => resolve()),
    );
  }
}
