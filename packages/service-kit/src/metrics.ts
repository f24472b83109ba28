import { Counter, Histogram, type Registry } from 'prom-client';

/** Latency buckets in seconds, from 1 ms to 10 s. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Request metrics shared by both services (Prometheus naming: namespace, base unit in the
 * name, _total for counters). `service` and `track` come from the registry's default
 * labels; label values are route templates, methods and codes, never ids or raw paths.
 */
export function httpServerMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'http_server_requests_total',
      help: 'HTTP requests served, by route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'HTTP request duration, from arrival to the last byte sent.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: BUCKETS,
      registers: [registry],
    }),
  };
}

/** gRPC call counter and latency histogram, for one side of the call. */
function grpcMetrics(registry: Registry, side: 'server' | 'client', subject: string) {
  const labelNames = ['grpc_service', 'grpc_method', 'grpc_code'];
  return {
    handled: new Counter({
      name: `grpc_${side}_handled_total`,
      help: `gRPC calls completed ${subject}, by method and status code.`,
      labelNames,
      registers: [registry],
    }),
    duration: new Histogram({
      name: `grpc_${side}_handling_seconds`,
      help: `gRPC call duration ${subject}.`,
      labelNames,
      buckets: BUCKETS,
      registers: [registry],
    }),
  };
}

export const grpcServerMetrics = (registry: Registry) => grpcMetrics(registry, 'server', 'by the server');
export const grpcClientMetrics = (registry: Registry) =>
  grpcMetrics(registry, 'client', 'by this service as a client (deadline included)');

export type HttpServerMetrics = ReturnType<typeof httpServerMetrics>;
export type GrpcServerMetrics = ReturnType<typeof grpcServerMetrics>;
export type GrpcClientMetrics = ReturnType<typeof grpcClientMetrics>;

/** Splits `/store.v1.StoreService/GetItem` into service and method labels. */
export function grpcLabels(path: string): { grpc_service: string; grpc_method: string } {
  const [, service = 'unknown', method = 'unknown'] = path.split('/');
  return { grpc_service: service, grpc_method: method };
}
