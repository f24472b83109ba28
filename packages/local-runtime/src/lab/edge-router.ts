import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough, pipeline } from 'node:stream';
import { type EdgeMiddleware, type EdgeRoute, selectEdgeRoute } from 'routing-model/traefik';
import { lingeringClose } from 'service-kit/lingering-close';
import { errors, Pool } from 'undici';
import { type BackendResolver, downMessage } from './backends.ts';
import { hostFromLoopback } from './loopback-host.ts';

export interface EdgeRouterOptions {
  /** Entrypoint name → port (0: any free port). */
  readonly entryPoints: Readonly<Record<string, number>>;
  /**
   * Entrypoints whose error answers may name the route's service and why it failed (the
   * lab's `internal`, on a developer's own machine). Every other entrypoint is public:
   * its errors say what happened in general words and echo nothing of the request.
   */
  readonly guardedEntryPoints?: readonly string[];
  /** Requests addressed to localhost count as addressed to this host (the manifests' API host). */
  readonly host: string;
  readonly resolve: BackendResolver;
  readonly bindHost?: string;
  /** How long a backend may take to start its answer before the client gets 504 (default 300 s). */
  readonly responseHeaderTimeoutMs?: number;
}

/**
 * Headers that belong to one connection (RFC 9110 §7.6.1), never forwarded either way; the
 * names a `Connection` header lists, and every `Proxy-*`, go too. `Expect` is answered here
 * (node's server sends `100 Continue`), and the body is re-framed for the backend, so the
 * client's `Transfer-Encoding` and `Content-Length` are not passed on as sent.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
  'host',
]);

/** The client's own forwarding claims are not trusted (Traefik's default): the edge sets them. */
const isForwardingClaim = (name: string) => name.startsWith('x-forwarded-') || name === 'x-real-ip';

function connectionOptions(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  const listed = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    listed
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  );
}

/**
 * A client body left unread after its answer (the backend answered early, e.g. 413 or 401)
 * is read and dropped up to this size or time, which keeps the connection in step for its
 * next request; past either the connection is closed with a lingering close.
 */
const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 10_000;
type ErrorCode =
  | 'no_route'
  | 'forbidden'
  | 'backend_unavailable'
  | 'bad_gateway'
  | 'gateway_timeout'
  | 'bad_request'
  | 'headers_too_large'
  | 'request_timeout';

/** What a public entrypoint says for each error: nothing of the lab's services, hosts or the request. */
const PUBLIC_MESSAGES: Record<ErrorCode, string> = {
  no_route: 'no route for this request',
  forbidden: 'this client is not allowed here',
  backend_unavailable: 'the service is not available, retry later',
  bad_gateway: 'the service could not answer, retry later',
  gateway_timeout: 'the service did not answer in time',
  bad_request: 'the request is not valid HTTP',
  headers_too_large: 'the request headers are too large',
  request_timeout: 'the request did not arrive in time',
};

/** An answer the edge gives for what the parser refused: status and error code. */
type Refusal = readonly [number, ErrorCode];

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/** The API's error contract (api-service/src/errors.ts): `{"error":{"code","message"}}`. */
const errorBody = (code: ErrorCode, message: string) => JSON.stringify({ error: { code, message } });

/**
 * The lab's Traefik: one listener per entrypoint, routes chosen by the IngressRoute rules
 * (priority, Host/PathPrefix/Header), middlewares applied (header stripping, IP
 * allow-lists, with loopback trusted), then forwarded to the backend. The routing table is
 * swapped atomically; requests in flight keep the backend they were given.
 *
 * Framing: node's HTTP server parses what clients send (strict llhttp: a request with both
 * Content-Length and Transfer-Encoding, a Transfer-Encoding whose last coding is not
 * chunked, or differing Content-Lengths is a 400 and the connection closes), and undici
 * (a Pool per backend address) writes what the backend gets, framing the body itself:
 * Content-Length when the client sent one, chunked otherwise, whatever the method. A body
 * can thus only ever be a body on the backend connection. (http-proxy-3 2.0.1, used before,
 * forwarded a chunked DELETE or OPTIONS as `content-length: 0` followed by its body, which
 * the api then read as a second request.)
 */
export class EdgeRouter {
  #table: readonly EdgeRoute[] = [];
  readonly #options: EdgeRouterOptions;
  readonly #guarded: ReadonlySet<string>;
  readonly #servers = new Map<string, Server>();
  readonly #pools = new Map<string, Pool>();
  /** Answers not yet finished on each client connection (pipelined requests queue here). */
  readonly #inFlight = new WeakMap<Socket, Map<ServerResponse, IncomingMessage>>();
  /** How to stop forwarding a request whose body the parser refused (answered 400 or 408 instead). */
  readonly #refuse = new WeakMap<ServerResponse, (refusal: Refusal) => void>();
  readonly ports: Record<string, number> = {};

  constructor(options: EdgeRouterOptions) {
    this.#options = options;
    this.#guarded = new Set(options.guardedEntryPoints ?? []);
  }

  setTable(table: readonly EdgeRoute[]): void {
    this.#table = table;
  }

  get table(): readonly EdgeRoute[] {
    return this.#table;
  }

  /**
   * The host a Host header addresses; localhost and loopback addresses stand for the API
   * host, and `<name>.localhost` (which browsers and curl resolve to loopback) for
   * `<name>.<API host>`: `pr-123.localhost` is PR 123's preview hostname.
   */
  hostOf(hostHeader: string | undefined): string {
    return hostFromLoopback(hostHeader, this.#options.host);
  }

  /** An error answer; `detail` (which may name services and the request) only on a guarded entrypoint. */
  #sendError(
    entryPoint: string,
    res: ServerResponse,
    status: number,
    code: ErrorCode,
    detail: () => string,
  ): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message = this.#guarded.has(entryPoint) ? `lab edge: ${detail()}` : PUBLIC_MESSAGES[code];
    const body = errorBody(code, message);
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-content-type-options': 'nosniff',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  #handle(entryPoint: string, req: IncomingMessage, res: ServerResponse) {
    const socket = req.socket;
    const inFlight = this.#inFlight.get(socket) ?? new Map<ServerResponse, IncomingMessage>();
    this.#inFlight.set(socket, inFlight);
    inFlight.set(res, req);
    res.once('close', () => inFlight.delete(res));
    // Whatever the answer, a body the client is still sending must not become its next
    // request: it is read to its end (node's parser knows where it ends) and dropped.
    res.once('finish', () => this.#drainUnreadBody(req));

    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const host = this.hostOf(req.headers.host);
    // A repeated header is a list, each value matched on its own (as Traefik's Header()).
    const route = selectEdgeRoute(this.#table, entryPoint, { host, path, headers: req.headersDistinct });
    if (route === undefined) {
      this.#sendError(
        entryPoint,
        res,
        404,
        'no_route',
        () => `no route for ${host}${path} on entrypoint ${entryPoint}`,
      );
      return;
    }
    const headerMiddlewares = route.middlewares.filter((m) => m.kind === 'headers');
    const stripsAnswers = headerMiddlewares.some((m) => m.removeResponse.length > 0);
    // The lab's own diagnostic header goes where the routes keep internal headers.
    if (!stripsAnswers) res.setHeader('x-lab-route', route.id);
    for (const middleware of route.middlewares) {
      if (middleware.kind === 'ipAllowList') {
        const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
        const loopback = address === '::1' || address.startsWith('127.');
        const type = address.includes(':') ? 'ipv6' : 'ipv4';
        if (!loopback && !middleware.allow.check(address, type)) {
          this.#sendError(
            entryPoint,
            res,
            403,
            'forbidden',
            () => `${address} is not allowed by ${middleware.name}`,
          );
          return;
        }
      } else {
        for (const name of middleware.remove) delete req.headers[name];
        for (const [name, value] of Object.entries(middleware.set)) req.headers[name] = value;
      }
    }
    const target = this.#options.resolve(route.backend);
    if (target.kind === 'down') {
      this.#sendError(entryPoint, res, 503, 'backend_unavailable', () =>
        downMessage(route.backend, target.reason),
      );
      return;
    }
    this.#forward(entryPoint, req, res, route, target.address, headerMiddlewares);
  }

  #pool(address: string): Pool {
    let pool = this.#pools.get(address);
    if (pool === undefined) {
      // A restarted backend listens on a new port: pools of old addresses that hold no
      // connection and no request are closed, rather than kept for the lab's lifetime.
      for (const [old, idle] of this.#pools) {
        const { connected, pending, running } = idle.stats;
        if (connected + pending + running > 0) continue;
        this.#pools.delete(old);
        idle.close().catch(() => undefined);
      }
      const timeout = this.#options.responseHeaderTimeoutMs ?? 300_000;
      // One request per connection at a time (no pipelining to backends); idle connections
      // are closed well before the api's own keep-alive timeout (72 s) would close them.
      pool = new Pool(`http://${address}`, {
        pipelining: 1,
        keepAliveTimeout: 4_000,
        headersTimeout: timeout,
        bodyTimeout: 0,
      });
      this.#pools.set(address, pool);
    }
    return pool;
  }

  #forward(
    entryPoint: string,
    req: IncomingMessage,
    res: ServerResponse,
    route: EdgeRoute,
    address: string,
    answerMiddlewares: readonly Extract<EdgeMiddleware, { kind: 'headers' }>[],
  ) {
    const headers: Record<string, string | string[]> = {};
    const named = connectionOptions(req.headers);
    const distinct = req.headersDistinct;
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
      if (name.startsWith('proxy-') || isForwardingClaim(name)) continue;
      // A repeated header goes on as the client sent it (one line per value), unless a
      // middleware replaced it.
      const sent = distinct[name];
      headers[name] = sent !== undefined && sent.length > 1 && sent.join(', ') === value ? sent : value;
    }
    if (req.headers.host !== undefined) headers.host = req.headers.host;
    headers['x-forwarded-for'] = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-port'] = String(req.socket.localPort ?? '');

    // node's parser has validated the framing: a body is there when the client sent
    // Transfer-Encoding (chunked, necessarily last) or a non-zero Content-Length. undici
    // sends it with that Content-Length, or chunked. The body reaches undici through a
    // PassThrough so that undici ending it early (the backend answered first) never
    // destroys the client's connection; the rest is then drained (#drainUnreadBody).
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const length = chunked ? 0 : Number(req.headers['content-length'] ?? 0);
    let body: PassThrough | null = null;
    if (chunked || length > 0) {
      body = new PassThrough();
      req.pipe(body);
      if (!chunked) headers['content-length'] = String(length);
    }

    const abort = new AbortController();
    let refused: Refusal | undefined;
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    this.#refuse.set(res, (refusal) => {
      refused = refusal;
      abort.abort();
    });
    this.#pool(address)
      .request({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers,
        body,
        signal: abort.signal,
      })
      .then(
        (upstream) => {
          const answer: Record<string, string | string[]> = {};
          const upstreamNamed = connectionOptions(upstream.headers);
          for (const [name, value] of Object.entries(upstream.headers)) {
            if (value === undefined || HOP_BY_HOP.has(name) || upstreamNamed.has(name)) continue;
            if (name.startsWith('proxy-')) continue;
            answer[name] = value;
          }
          const upstreamLength = upstream.headers['content-length'];
          if (typeof upstreamLength === 'string') answer['content-length'] = upstreamLength;
          // customResponseHeaders, applied to the backend's answer before it is passed on.
          for (const m of answerMiddlewares) {
            for (const name of m.removeResponse) delete answer[name];
            Object.assign(answer, m.setResponse);
          }
          if (res.destroyed) {
            upstream.body.destroy();
            return;
          }
          for (const [name, value] of Object.entries(answer)) res.setHeader(name, value);
          res.writeHead(upstream.statusCode);
          pipeline(upstream.body, res, () => undefined);
        },
        (err: Error) => {
          body?.destroy();
          if (refused !== undefined) {
            this.#refuseBody(res, refused);
            return;
          }
          if (err instanceof errors.RequestAbortedError) return;
          if (err instanceof errors.HeadersTimeoutError) {
            this.#sendError(entryPoint, res, 504, 'gateway_timeout', () =>
              downMessage(route.backend, 'no answer in time'),
            );
            return;
          }
          this.#sendError(entryPoint, res, 502, 'bad_gateway', () => downMessage(route.backend, err.message));
        },
      );
  }

  /** After the answer: reads and drops what is left of the client's body, or closes gracefully. */
  #drainUnreadBody(req: IncomingMessage) {
    if (req.complete || req.destroyed) return;
    const socket = req.socket;
    req.unpipe();
    let drained = 0;
    const stop = () => {
      clearTimeout(timer);
      req.removeListener('data', count);
      lingeringClose(socket);
    };
    const count = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_BYTES) stop();
    };
    const timer = setTimeout(stop, DRAIN_MS);
    timer.unref();
    req.on('data', count);
    req.once('end', () => {
      clearTimeout(timer);
      req.removeListener('data', count);
    });
    req.once('error', () => clearTimeout(timer));
    req.resume();
  }

  /**
   * What node's parser refused (malformed framing, oversized headers, a slow request)
   * answered in the API's JSON error shape, after any answers still owed on the connection,
   * then a lingering close: never an empty answer, never a reset that swallows it.
   */
  #answerClientError(err: NodeJS.ErrnoException, socket: Socket) {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code]: Refusal =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'request_timeout']
          : [400, 'bad_request'];
    const body = errorBody(code, PUBLIC_MESSAGES[code]);
    const owed = this.#inFlight.get(socket) ?? new Map<ServerResponse, IncomingMessage>();
    // A body that turns out malformed (a bad chunk) or too slow belongs to a request
    // already being forwarded: it is stopped and answered so, and the connection closes.
    const broken = [...owed].find(([, req]) => !req.complete)?.[0];
    if (broken !== undefined) {
      const refuse = this.#refuse.get(broken);
      if (refuse !== undefined) refuse([status, code]);
      else this.#refuseBody(broken, [status, code]);
      return;
    }
    const write = () => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      socket.write(
        `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      lingeringClose(socket);
    };
    if (owed.size === 0) {
      write();
      return;
    }
    // Earlier pipelined requests are answered first, in order; the error is the last answer.
    const waitFor = [...owed.keys()].map((res) => new Promise<void>((resolve) => res.once('close', resolve)));
    void Promise.all(waitFor).then(write);
  }

  /** A request whose body node's parser refused: its 400 (or 408), and the connection closes (lingering). */
  #refuseBody(res: ServerResponse, [status, code]: Refusal) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(code, PUBLIC_MESSAGES[code]);
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-content-type-options': 'nosniff',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
  }

  async listen(): Promise<Record<string, number>> {
    for (const [entryPoint, port] of Object.entries(this.#options.entryPoints)) {
      const server = createServer((req, res) => this.#handle(entryPoint, req, res));
      server.keepAliveTimeout = 5000;
      // node closes a `Connection: close` connection at once, which resets it if the client
      // is still sending and can destroy the answer unread: close it lingering instead.
      server.on('connection', (socket: Socket) => {
        socket.destroySoon = () => lingeringClose(socket);
      });
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) =>
        this.#answerClientError(err, socket),
      );
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            err.code === 'EADDRINUSE'
              ? new Error(`port ${port} (entrypoint ${entryPoint}) is already in use`)
              : err,
          ),
        );
        server.listen(port, this.#options.bindHost ?? '127.0.0.1', () => resolve());
      });
      this.#servers.set(entryPoint, server);
      this.ports[entryPoint] = (server.address() as AddressInfo).port;
    }
    return this.ports;
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.#servers.values()].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeIdleConnections();
            server.close(() => resolve());
            setTimeout(() => server.closeAllConnections(), 2000).unref();
          }),
      ),
    );
    await Promise.all([...this.#pools.values()].map((pool) => pool.destroy()));
    this.#pools.clear();
  }
}
