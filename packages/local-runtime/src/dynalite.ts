import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import dynalite from 'dynalite';

export interface EmbeddedDynamo {
  readonly endpoint: string;
  readonly port: number;
  /** The process that holds the store: this one, or its own (`ownProcess`). */
  readonly pid: number;
  /** Memory of that process after a full GC where it can run one, and its open iterators. */
  memory(): Promise<DynamoMemory>;
  close(): Promise<void>;
}

export interface DynamoMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  /** LevelDB iterators open now, and opened since the store started. */
  readonly openIterators: number;
  readonly openedIterators: number;
}

export interface EmbeddedDynamoOptions {
  readonly path?: string;
  readonly port?: number;
  readonly host?: string;
  /**
   * Run the store in a process of its own (dynalite-process.ts) with at most two glibc
   * malloc arenas and a small young generation: LevelDB reads on libuv's worker threads,
   * and with an arena per thread the RSS kept creeping up (about 9 MiB per 10k list
   * requests in the lab) after the JS heap had levelled off; with two it levels off too.
   * The child stops with its starter. For the lab, which runs for days; tests keep the
   * store in their own process.
   */
  readonly ownProcess?: boolean;
}

/** The child's entry (ownProcess): answers `mem` on stdin, stops when stdin ends. */
const CHILD = fileURLToPath(new URL('./dynalite-process.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
/**
 * Young generation of the child: V8 sizes it from the machine (here its heap committed
 * 140–150 MiB for 9 MiB in use under list traffic); the store's garbage is short-lived.
 */
const SEMI_SPACE_MIB = 8;
const STOP_TIMEOUT_MS = 10_000;

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
 * This process's memory (after a full GC when started with --expose-gc) and the LevelDB
 * iterators of its embedded stores: open now (0 between requests) and opened so far.
 */
export function processMemory(): DynamoMemory {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    openIterators,
    openedIterators,
  };
}

/**
 * Starts a DynamoDB-compatible server (dynalite), in this process unless `ownProcess`.
 * With `path`, data lives on disk (LevelDB) and survives restarts; without, in memory.
 * Port 0 picks a free port (dynalite's CLI cannot do that, which is why it is started
 * from here).
 */
export function startEmbeddedDynamo(options: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> {
  return options.ownProcess === true ? startChild(options) : startHere(options);
}

async function startHere(options: EmbeddedDynamoOptions): Promise<EmbeddedDynamo> {
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
    pid: process.pid,
    memory: async () => processMemory(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        // dynalite closes its LevelDB when the HTTP server closes.
        server.close(() => resolve());
      }),
  };
  return embedded;
}

async function startChild(options: EmbeddedDynamoOptions): Promise<EmbeddedDynamo> {
  const host = options.host ?? '127.0.0.1';
  const child = spawn(process.execPath, ['--expose-gc', `--max-semi-space-size=${SEMI_SPACE_MIB}`, CHILD], {
    env: {
      ...process.env,
      MALLOC_ARENA_MAX: '2',
      DYNALITE_HOST: host,
      DYNALITE_PORT: String(options.port ?? 0),
      ...(options.path === undefined ? {} : { DYNALITE_PATH: options.path }),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const pending: Array<{ resolve: (line: Record<string, unknown>) => void; reject: (err: Error) => void }> =
    [];
  let gone: Error | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      gone = new Error(`the embedded DynamoDB process exited (${code})`);
      for (const p of pending.splice(0)) p.reject(gone);
      resolve(code);
    }),
  );
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) pending.shift()?.resolve(JSON.parse(line) as Record<string, unknown>);
  });
  const reply = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      if (gone === undefined) pending.push({ resolve, reject });
      else reject(gone);
    });
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    reply(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the embedded DynamoDB process was not ready in ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
    }),
  ]).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  clearTimeout(timer);
  const port = Number(ready.port);
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    pid: child.pid ?? -1,
    async memory() {
      const answer = reply();
      child.stdin.write('mem\n');
      return (await answer) as unknown as DynamoMemory;
    },
    close() {
      closing ??= (async () => {
        // The end of its stdin stops it (as when this process dies).
        child.stdin.end();
        const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(kill);
      })();
      return closing;
    },
  };
}
