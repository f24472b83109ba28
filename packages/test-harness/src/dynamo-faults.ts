import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultPlan {
  /** Delay before each request is forwarded. */
  latencyMs: number;
  /** Every Nth request of these operations is answered ThrottlingException without being forwarded (0: never). */
  throttleEvery: number;
  /** Every Nth request of these operations is forwarded (so it applies) and then its connection is reset (0: never). */
  resetAfterEvery: number;
  /** Operations the faults apply to, e.g. ['UpdateItem', 'PutItem']; empty: all. */
  operations: string[];
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly plan: FaultPlan;
  /** Requests received from the client, by operation, as they arrive (before any latency). */
  readonly received: Record<string, number>;
  /** Requests forwarded to the store, by operation (each one applied exactly once). */
  readonly forwarded: Record<string, number>;
  readonly throttled: Record<string, number>;
  readonly reset: Record<string, number>;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a DynamoDB endpoint that injects faults: latency, throttling
 * (answered like DynamoDB, nothing applied) and connection resets after the request was
 * applied (the ambiguous case: the write landed, the answer was lost).
 */
export async function startFaultProxy(target: string, plan: Partial<FaultPlan> = {}): Promise<FaultProxy> {
  const state: FaultPlan = { latencyMs: 0, throttleEvery: 0, resetAfterEvery: 0, operations: [], ...plan };
  const received: Record<string, number> = {};
  const forwarded: Record<string, number> = {};
  const throttled: Record<string, number> = {};
  const reset: Record<string, number> = {};
  const seen: Record<string, number> = {};
  const url = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      received[operation] = (received[operation] ?? 0) + 1;
      const faulty = state.operations.length === 0 || state.operations.includes(operation);
      if (faulty) seen[operation] = (seen[operation] ?? 0) + 1;
      const n = faulty ? (seen[operation] ?? 0) : 0;
      const go = () => {
        if (faulty && state.throttleEvery > 0 && n % state.throttleEvery === 0) {
          throttled[operation] = (throttled[operation] ?? 0) + 1;
          res.writeHead(400, {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-requestid': `fault-${n}`,
          });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
              message: 'Rate of requests exceeds the allowed throughput.',
            }),
          );
          return;
        }
        const upstream = httpRequest(
          { hostname: url.hostname, port: url.port, path: req.url, method: req.method, headers: req.headers },
          (up) => {
            forwarded[operation] = (forwarded[operation] ?? 0) + 1;
            if (faulty && state.resetAfterEvery > 0 && n % state.resetAfterEvery === 0) {
              up.resume();
              up.on('end', () => {
                reset[operation] = (reset[operation] ?? 0) + 1;
                req.socket.resetAndDestroy();
              });
              return;
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        upstream.end(Buffer.concat(chunks));
      };
      if (state.latencyMs > 0) setTimeout(go, state.latencyMs);
      else go();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    plan: state,
    received,
    forwarded,
    throttled,
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
