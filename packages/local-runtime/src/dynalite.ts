import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedDynamo {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts a DynamoDB-compatible server (dynalite) in this process. With `path`, data lives
 * on disk (LevelDB) and survives restarts; without, in memory. Port 0 picks a free port
 * (dynalite's CLI cannot do that, which is why it runs in-process).
 */
export async function startEmbeddedDynamo(options: { path?: string; port?: number; host?: string } = {}) {
  const host = options.host ?? '127.0.0.1';
  const server: Server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const embedded: EmbeddedDynamo = {
    endpoint: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        // dynalite closes its LevelDB when the HTTP server closes.
        server.close(() => resolve());
      }),
  };
  return embedded;
}
