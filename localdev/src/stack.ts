import { mkdir } from 'node:fs/promises';
import { type EmbeddedDynamo, startEmbeddedDynamo } from './dynalite.ts';
import { repoRoot } from './paths.ts';
import type { ServiceProcess } from './process.ts';
import { startApi, startStore } from './services.ts';

export interface StackOptions {
  /** Port of the API on localhost (0: any free port). */
  readonly apiPort: number;
  /** Where the embedded store keeps its data; undefined keeps it in memory. */
  readonly dataDir: string | undefined;
  readonly tableName?: string;
  readonly onLog?: (service: string, line: string) => void;
  /** Extra environment for both services. */
  readonly env?: Record<string, string>;
}

export interface Stack {
  readonly dynamo: EmbeddedDynamo;
  readonly store: ServiceProcess;
  readonly api: ServiceProcess;
  readonly apiUrl: string;
  stop(): Promise<void>;
}

/**
 * The stable system on one machine: an embedded DynamoDB-compatible store (dynalite),
 * store-service with its table, and api-service on localhost. Stops in reverse order.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  const dynamo = await startEmbeddedDynamo(options.dataDir === undefined ? {} : { path: options.dataDir });
  const started: ServiceProcess[] = [];
  try {
    const store = await startStore(
      dynamo,
      { ...options.env, TABLE_NAME: options.tableName ?? 'store-items' },
      { onLog: (line) => options.onLog?.('store-service', line) },
    );
    started.push(store);
    const api = await startApi(
      store.ports.port ?? 0,
      { ...options.env, PORT: String(options.apiPort) },
      { onLog: (line) => options.onLog?.('api-service', line) },
    );
    started.push(api);
    return {
      dynamo,
      store,
      api,
      apiUrl: `http://localhost:${api.ports.port}`,
      async stop() {
        await api.stop();
        await store.stop();
        await dynamo.close();
      },
    };
  } catch (err) {
    for (const service of started.reverse()) await service.stop();
    await dynamo.close();
    throw err;
  }
}

export { repoRoot };
