// Benchmark ceiling, gRPC side: a bare grpc-js server answering GetItem with a fixed item.
import * as grpc from '@grpc/grpc-js';
import { StoreServiceService } from 'store-contract';

const item = {
  id: '0192a000-0000-7000-8000-000000000001',
  tenantId: 'bench',
  name: 'Fixed',
  description: '',
  priceCents: 1,
  category: 1,
  status: 1,
  sku: '',
  inventoryCount: 1,
  tags: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'b',
  updatedBy: 'b',
  version: 1,
} as const;
const server = new grpc.Server();
const unimplemented = (_c: unknown, cb: grpc.sendUnaryData<never>) => cb({ code: grpc.status.UNIMPLEMENTED });
server.addService(StoreServiceService, {
  getItem: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { item }),
  createItem: unimplemented,
  updateItem: unimplemented,
  deleteItem: unimplemented,
  listItems: unimplemented,
  updateInventory: unimplemented,
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ event: 'ready', port })}\n`);
});
// A normal exit on SIGTERM (lets --cpu-prof write its profile when profiling).
process.once('SIGTERM', () => process.exit(0));
