// Benchmark ceiling, HTTP side: bare Fastify → one grpc-js unary call, no validation,
// no context, no metrics. STORE_ADDRESS points at passthrough-store.ts.
import * as grpc from '@grpc/grpc-js';
import Fastify from 'fastify';
import { StoreServiceClient } from 'store-contract';

const client = new StoreServiceClient(process.env.STORE_ADDRESS ?? '', grpc.credentials.createInsecure());
const app = Fastify();
app.get('/v1/items/:id', (request, reply) => {
  client.getItem({ tenantId: 'bench', id: (request.params as { id: string }).id }, (err, response) => {
    if (err) reply.code(503).send({ error: err.message });
    else reply.send(response.item);
  });
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(
  `${JSON.stringify({ event: 'ready', port: typeof address === 'object' && address ? address.port : 0 })}\n`,
);
// A normal exit on SIGTERM (lets --cpu-prof write its profile when profiling).
process.once('SIGTERM', () => process.exit(0));
