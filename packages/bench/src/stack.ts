// One api + store pair as shipped, with an item to read, and the load every comparison puts
// on it: GET /v1/items/{id} as tenant `bench`, CPU watched in both processes.
import type { ServiceProcess } from 'local-runtime/process';
import { type Load, type LoadOptions, load } from './load.ts';
import { startShipped } from './shipped.ts';
import { createItem } from './start-memory.ts';

export interface Stack {
  readonly name: string;
  readonly api: ServiceProcess;
  readonly store: ServiceProcess;
  /** An item the api serves (GET /v1/items/{id}). */
  readonly id: string;
}

/** The store without a database (STORE_BACKEND=memory). */
export const IN_MEMORY: Readonly<Record<string, string>> = { STORE_BACKEND: 'memory' };

/** Starts a store with `storeEnv`, an api in front of it, both with `env`; creates the item. */
export async function startStack(
  name: string,
  storeEnv: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string>> = {},
): Promise<Stack> {
  const store = await startShipped('store-service', { ...storeEnv, ...env });
  const api = await startShipped('api-service', { STORE_ADDRESS: `127.0.0.1:${store.ports.port}`, ...env });
  return { name, api, store, id: await createItem(api, 'bench') };
}

export async function stopStacks(stacks: readonly Stack[]): Promise<void> {
  for (const s of stacks) {
    await s.api.stop();
    await s.store.stop();
  }
}

/** Where the load goes: the api's port, the item, and the two processes whose CPU counts. */
export interface ItemTarget {
  readonly port: number | undefined;
  readonly id: string;
  readonly pids: { readonly api: number; readonly store: number };
}

export const targetOf = (s: Stack): ItemTarget => ({
  port: s.api.ports.port,
  id: s.id,
  pids: { api: s.api.pid, store: s.store.pid },
});

/** GET /v1/items/{id} as tenant `bench` (plus `headers`), CPU per request of api and store. */
export function loadItem(target: ItemTarget, options: Omit<LoadOptions, 'watch'>): Promise<Load> {
  return load(`http://127.0.0.1:${target.port}/v1/items/${target.id}`, {
    ...options,
    headers: { 'x-tenant-id': 'bench', ...options.headers },
    watch: target.pids,
  });
}

/** api + store CPU µs per request of one measurement. */
export const pathCpu = (l: Load) => (l.cpuPerRequest.api ?? 0) + (l.cpuPerRequest.store ?? 0);
