import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedDynamo {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The part of abstract-level (the LevelDB interface under dynalite) that the fix touches. */
interface LevelIterator {
  close(): Promise<void>;
}
interface AbstractLevelModule {
  readonly AbstractLevel: { readonly prototype: LevelResources };
  readonly AbstractIterator: { readonly prototype: object };
}
interface LevelResources {
  attachResource(resource: object): void;
  detachResource(resource: object): void;
}

let openIterators = 0;
let openedIterators = 0;
let installed = false;

/**
 * dynalite 4.0.0 reads LevelDB through iterators wrapped in streams (`createValueStream`
 * in dynalite/db/index.js) and closes them with `iterator.return()` when the stream ends
 * or a Query stops at its Limit. abstract-level's iterators (classic-level on disk,
 * memory-level in memory) have no `return()`, only `close()`, so dynalite never closed one:
 * every Query and Scan left its iterators open, held by the database until it closed, each
 * with its read-ahead of up to 1,000 rows in the JS heap and, on disk, a LevelDB iterator
 * and the memtable and files it pins (the lab process grew 70–160 MB per 10k list requests,
 * without end). This gives those iterators the `return()` dynalite calls, closing them,
 * in the copies of abstract-level that dynalite's databases load; and counts the open ones.
 */
function closeDynaliteIterators(): void {
  if (installed) return;
  installed = true;
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  // dynalite's two backends, each resolving abstract-level from where it is installed.
  const backends = [
    fromDynalite.resolve('memory-level'),
    createRequire(fromDynalite.resolve('level')).resolve('classic-level'),
  ];
  const modules = new Set(
    backends.map((file) => createRequire(file)('abstract-level') as AbstractLevelModule),
  );
  for (const level of modules) {
    // The common base of entry, key and value iterators.
    const iterator = Object.getPrototypeOf(level.AbstractIterator.prototype) as object;
    if (!('return' in iterator))
      Object.defineProperty(iterator, 'return', {
        configurable: true,
        writable: true,
        value: async function (this: LevelIterator) {
          await this.close();
          return { done: true, value: undefined };
        },
      });
    const resources = level.AbstractLevel.prototype;
    const attach = resources.attachResource;
    const detach = resources.detachResource;
    resources.attachResource = function (this: LevelResources, resource: object) {
      attach.call(this, resource);
      if (!Object.prototype.isPrototypeOf.call(iterator, resource)) return;
      openIterators += 1;
      openedIterators += 1;
    };
    resources.detachResource = function (this: LevelResources, resource: object) {
      detach.call(this, resource);
      if (Object.prototype.isPrototypeOf.call(iterator, resource)) openIterators -= 1;
    };
  }
}

/**
 * LevelDB iterators of this process's embedded stores: open now (0 between requests) and
 * opened since the first store started.
 */
export function levelIterators(): { readonly open: number; readonly opened: number } {
  return { open: openIterators, opened: openedIterators };
}

/**
 * Starts a DynamoDB-compatible server (dynalite) in this process. With `path`, data lives
 * on disk (LevelDB) and survives restarts; without, in memory. Port 0 picks a free port
 * (dynalite's CLI cannot do that, which is why it runs in-process).
 */
export async function startEmbeddedDynamo(options: { path?: string; port?: number; host?: string } = {}) {
  closeDynaliteIterators();
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
