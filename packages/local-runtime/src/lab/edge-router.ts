import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';
import { type BackendResolver, downMessage } from './backends.ts';
import { type EdgeMiddleware, type EdgeRoute, selectEdgeRoute } from './edge-table.ts';

export interface EdgeRouterOptions {
  /** Entrypoint name → port (0: any free port). */
  readonly entryPoints: Readonly<Record<string, number>>;
  /** Requests addressed to localhost count as addressed to this host (the manifests' API host). */
  readonly host: string;
  readonly resolve: BackendResolver;
  readonly bindHost?: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

function sendError(res: ServerResponse, status: number, code: string, message: string) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message: `lab edge: ${message}` } }));
}

/**
 * The lab's Traefik: one listener per entrypoint, routes chosen by the IngressRoute rules
 * (priority, Host/PathPrefix/Header), middlewares applied (header stripping, IP
 * allow-lists, with loopback trusted), then proxied with http-proxy-3. The routing table
 * is swapped atomically; requests in flight keep the backend they were given.
 */
export class EdgeRouter {
  #table: readonly EdgeRoute[] = [];
  readonly #options: EdgeRouterOptions;
  readonly #servers = new Map<string, Server>();
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  readonly #proxy = createProxyServer({ xfwd: true, agent: undefined });
  readonly ports: Record<string, number> = {};
  readonly #answerMiddlewares = new WeakMap<IncomingMessage, readonly EdgeMiddleware[]>();

  constructor(options: EdgeRouterOptions) {
    this.#options = options;
    // Hop-by-hop headers end here, as at Traefik: the client's `Connection: close` is about
    // its own connection. Forwarded, it would make the backend close (and reset) the
    // upstream connection after answering early, e.g. a 413 to a body still uploading,
    // which the edge would then report as 502 instead of passing the answer on.
    this.#proxy.on('proxyReq', (proxyReq) => {
      for (const name of HOP_BY_HOP) if (!proxyReq.headersSent) proxyReq.removeHeader(name);
    });
    // customResponseHeaders, applied to the backend's answer before it is passed on.
    this.#proxy.on('proxyRes', (proxyRes, req) => {
      for (const m of this.#answerMiddlewares.get(req) ?? []) {
        if (m.kind !== 'headers') continue;
        for (const name of m.removeResponse) delete proxyRes.headers[name];
        Object.assign(proxyRes.headers, m.setResponse);
      }
    });
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
    const raw = (hostHeader ?? '').toLowerCase();
    const host = raw.startsWith('[') ? raw.slice(0, raw.indexOf(']') + 1) : (raw.split(':')[0] ?? '');
    if (LOOPBACK.has(host)) return this.#options.host;
    if (host.endsWith('.localhost')) return `${host.slice(0, -'localhost'.length)}${this.#options.host}`;
    return host;
  }

  #handle(entryPoint: string, req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const host = this.hostOf(req.headers.host);
    const route = selectEdgeRoute(this.#table, entryPoint, { host, path, headers: req.headers });
    if (route === undefined) {
      sendError(res, 404, 'no_route', `no route for ${host}${path} on entrypoint ${entryPoint}`);
      return;
    }
    const headerMiddlewares = route.middlewares.filter((m) => m.kind === 'headers');
    const stripsAnswers = headerMiddlewares.some((m) => m.removeResponse.length > 0);
    // The lab's own diagnostic header goes where the routes keep internal headers.
    if (!stripsAnswers) res.setHeader('x-lab-route', route.id);
    if (headerMiddlewares.length > 0) this.#answerMiddlewares.set(req, headerMiddlewares);
    for (const middleware of route.middlewares) {
      if (middleware.kind === 'ipAllowList') {
        const address = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
        const loopback = address === '::1' || address.startsWith('127.');
        const type = address.includes(':') ? 'ipv6' : 'ipv4';
        if (!loopback && !middleware.allow.check(address, type)) {
          sendError(res, 403, 'forbidden', `${address} is not allowed by ${middleware.name}`);
          return;
        }
      } else {
        for (const name of middleware.remove) delete req.headers[name];
        for (const [name, value] of Object.entries(middleware.set)) req.headers[name] = value;
      }
    }
    const target = this.#options.resolve(route.backend);
    if (target.kind === 'down') {
      sendError(res, 503, 'backend_unavailable', downMessage(route.backend, target.reason));
      return;
    }
    this.#proxy.web(req, res, { target: `http://${target.address}`, agent: this.#agent }, (err) => {
      sendError(res, 502, 'bad_gateway', downMessage(route.backend, (err as Error).message));
    });
  }

  async listen(): Promise<Record<string, number>> {
    for (const [entryPoint, port] of Object.entries(this.#options.entryPoints)) {
      const server = createServer((req, res) => this.#handle(entryPoint, req, res));
      server.keepAliveTimeout = 5000;
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
    this.#agent.destroy();
    this.#proxy.close();
  }
}
