import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Milliseconds each chunk waits before it is forwarded (both directions). */
  delayMs: number;
  /** Bytes received from clients so far (a test waits on it for requests to be in flight). */
  readonly received: number;
  /** Destroys every open connection (a network fault). */
  resetAll(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy that can slow traffic down, for keeping requests in flight while a
 * test signals a service, and for injecting resets. Ordering per connection is kept.
 */
export async function startTcpProxy(
  targetPort: number,
  options: { delayMs?: number } = {},
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  // Each chunk is delayed on its own timer: equal delays keep the order within a
  // connection without serialising the waits (HTTP/2 multiplexes many calls on one).
  const pipe = (from: Socket, to: Socket, proxy: { delayMs: number }, count?: (bytes: number) => void) => {
    const later = (fn: () => void) => (proxy.delayMs > 0 ? setTimeout(fn, proxy.delayMs) : fn());
    from.on('data', (chunk: Buffer) => {
      count?.(chunk.length);
      later(() => !to.destroyed && to.write(chunk));
    });
    from.on('end', () => later(() => to.end()));
    from.on('error', () => to.destroy());
    from.on('close', () => sockets.delete(from));
  };
  const state = { delayMs: options.delayMs ?? 0, received: 0 };
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    pipe(client, upstream, state, (bytes) => {
      state.received += bytes;
    });
    pipe(upstream, client, state);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    get received() {
      return state.received;
    },
    resetAll() {
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
