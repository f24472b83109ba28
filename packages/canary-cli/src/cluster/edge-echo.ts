// A backend for the edge probes: runs inside the test network namespace (test-hosts.ts) and
// answers every request with what arrived, so a probe can tell which Service Traefik chose
// (by the address the request was sent to) and which headers it added or removed.
// HTTP/1.1 on one port and, for gRPC backends, h2c (HTTP/2 with prior knowledge) on another.
// Usage: node edge-echo.ts <port> <h2c port>. Prints "ready" once both listen.
import { createServer, type Server } from 'node:http';
import { createServer as createH2Server } from 'node:http2';

export interface EchoReply {
  /** The address the request was sent to: one per Service in the probe's EndpointSlices. */
  readonly address: string;
  /** The port it was sent to (tells loopback backends apart). */
  readonly port: number;
  readonly method: string;
  readonly url: string;
  /** Header names lower-cased, values in arrival order. */
  readonly headers: Record<string, string[]>;
}

/** An echo server (not yet listening). */
export function echoServer(): Server {
  const server = createServer((req, res) => {
    const headers: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = String(req.rawHeaders[i]).toLowerCase();
      headers[name] = [...(headers[name] ?? []), String(req.rawHeaders[i + 1])];
    }
    const reply: EchoReply = {
      address: req.socket.localAddress?.replace(/^::ffff:/, '') ?? '',
      port: req.socket.localPort ?? 0,
      method: req.method ?? '',
      url: req.url ?? '',
      headers,
    };
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': '1' });
      res.end(JSON.stringify(reply));
    });
  });
  server.keepAliveTimeout = 1_000;
  return server;
}

/**
 * An h2c echo for gRPC calls: answers every call with an empty message stream, OK status,
 * and the EchoReply (where it was sent, its metadata) in the `x-echo-reply` header.
 */
export function grpcEchoServer() {
  const server = createH2Server();
  server.on('stream', (stream, headers) => {
    const metadata: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(':') || value === undefined) continue;
      metadata[name] = Array.isArray(value) ? value : [String(value)];
    }
    const socket = stream.session?.socket;
    const reply: EchoReply = {
      address: socket?.localAddress?.replace(/^::ffff:/, '') ?? '',
      port: socket?.localPort ?? 0,
      method: String(headers[':method'] ?? ''),
      url: String(headers[':path'] ?? ''),
      headers: metadata,
    };
    stream.resume();
    stream.on('end', () => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'x-echo-reply': JSON.stringify(reply) },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end();
    });
  });
  return server;
}

function main(port: number, h2cPort: number): void {
  let listening = 0;
  const ready = () => {
    if (++listening === 2) process.stdout.write('ready\n');
  };
  echoServer().listen(port, '0.0.0.0', ready);
  grpcEchoServer().listen(h2cPort, '0.0.0.0', ready);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1])
  main(Number(process.argv[2]), Number(process.argv[3]));
