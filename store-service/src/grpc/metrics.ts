import { Counter, Gauge, type Registry } from 'prom-client';
import { grpcServerMetrics } from 'service-kit';
import { STORE_SERVICE_NAME } from 'store-contract';

/** The store's server metrics and business counters. */
export function storeMetrics(registry: Registry) {
  const server = grpcServerMetrics(registry);
  const versionConflicts = new Counter({
    name: 'store_version_conflicts_total',
    help: 'Item updates refused because the expected version was stale (ABORTED).',
    registers: [registry],
  });
  return {
    itemsCreated: new Counter({
      name: 'store_items_created_total',
      help: 'Items created (idempotent replays not counted).',
      registers: [registry],
    }),
    inventoryChanges: new Counter({
      name: 'store_inventory_changes_total',
      help: 'Stock changes applied, by direction.',
      labelNames: ['direction'],
      registers: [registry],
    }),
    versionConflicts,
    dataStoreUp: new Gauge({
      name: 'store_data_store_up',
      help: "1 while the data store answers the store's pings, 0 while it does not (reported, not a readiness gate).",
      registers: [registry],
    }),
    observeCall(method: string, code: string, seconds: number) {
      const labels = { grpc_service: STORE_SERVICE_NAME, grpc_method: method, grpc_code: code };
      server.handled.inc(labels);
      server.duration.observe(labels, seconds);
      if (code === 'ABORTED') versionConflicts.inc();
    },
  };
}

export type StoreMetrics = ReturnType<typeof storeMetrics>;
