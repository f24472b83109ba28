// A backend for the edge probes: runs inside the test network namespace (test-hosts.ts) and
// answers every request with what arrived, so a probe can tell which Service Traefik chose
// (by the address the request was sent to) and which headers it added or removed.
// Usage: node edge-echo.ts <port>. Prints "ready" once listening.
import { createServer, type Server } from 'node:http';

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

function main(port: number): void {
  echoServer().listen(port, '0.0.0.0', () => process.stdout.write('ready\n'));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) main(Number(process.argv[2]));
