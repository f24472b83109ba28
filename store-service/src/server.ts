import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { canaryServerInterceptor, type ServiceIdentity } from 'canary-context';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { addReflection, HEALTH_DESCRIPTOR_SET } from 'service-kit';
import {
  DATA_STORE_HEALTH,
  DESCRIPTOR_SET_FILE,
  outOfRangeInt64Field,
  STORE_SERVICE_NAME,
  StoreServiceService,
} from 'store-contract';
import type { ItemRepository } from './data/repository.ts';
import type { ItemService } from './domain/items.ts';
import type { AuthenticateCall } from './grpc/caller.ts';
import { storeHandlers, UNDECODABLE } from './grpc/handlers.ts';
import type { StoreMetrics } from './grpc/metrics.ts';

/**
 * The service definition with decoders that do not throw: a request the generated
 * decoder refuses (an int64 past ±(2^53-1), malformed bytes) reaches the handler marked,
 * which answers INVALID_ARGUMENT naming the field, through the interceptors (so with
 * x-served-by), instead of grpc-js answering INTERNAL.
 */
function tolerantDecoding<T extends grpc.ServiceDefinition>(definition: T): T {
  const wrapped: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    // `/store.v1.StoreService/CreateItem` → store.v1.CreateItemRequest
    const [, service = '', rpc = ''] = method.path.split('/');
    const requestType = `${service.slice(0, service.lastIndexOf('.'))}.${rpc}Request`;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return { [UNDECODABLE]: { field: outOfRangeInt64Field(requestType, bytes) } };
        }
      },
    };
  }
  return wrapped as unknown as T;
}

export interface StoreServer {
  readonly server: grpc.Server;
  /** grpc.health.v1 alone (the same statuses), for a listener of its own (HEALTH_PORT). */
  readonly healthServer: grpc.Server;
  /**
   * Readiness is the pod's own ability to serve: store.v1.StoreService is NOT_SERVING until
   * the data store has answered once since start (credentials, endpoint and table are this
   * pod's own settings: a rollout that gets them wrong stops at its first pod), then SERVING
   * until draining. A later data store outage is reported (DATA_STORE_HEALTH, the gauge
   * store_data_store_up, a log line), never gating: every pod shares the data store, so
   * taking them all out of rotation would answer nothing at all instead of 503 per call.
   * The server's overall status "" (liveness) stays SERVING while the process runs.
   */
  markDraining(): void;
  /** Pings the data store every interval and reports the result (DATA_STORE_HEALTH). */
  startHealthMonitor(intervalMs: number): void;
  /** Stops accepting calls, lets in-flight calls finish (cancelling them after timeoutMs). */
  shutdown(timeoutMs: number): Promise<void>;
}

export function createStoreServer(deps: {
  identity: ServiceIdentity;
  items: ItemService;
  repository: ItemRepository;
  logger: Logger;
  metrics: StoreMetrics;
  /** Who each StoreService call comes from (tokenAuthenticator; trustRequestTenant only without an issuer). */
  authenticate: AuthenticateCall;
}): StoreServer {
  const server = new grpc.Server({ interceptors: [canaryServerInterceptor(deps.identity)] });
  server.addService(
    tolerantDecoding(StoreServiceService),
    storeHandlers(deps.items, {
      logger: deps.logger,
      metrics: deps.metrics,
      authenticate: deps.authenticate,
    }),
  );

  // Health and reflection answer anyone: they hold no tenant data (the mesh decides who
  // reaches the port at all).
  const health = new HealthImplementation({
    '': 'SERVING',
    [STORE_SERVICE_NAME]: 'NOT_SERVING',
    [DATA_STORE_HEALTH]: 'UNKNOWN',
  });
  health.addToServer(server);
  const healthServer = new grpc.Server();
  health.addToServer(healthServer);
  addReflection(
    server,
    [readFileSync(DESCRIPTOR_SET_FILE), readFileSync(HEALTH_DESCRIPTOR_SET)],
    [STORE_SERVICE_NAME, 'grpc.health.v1.Health'],
  );

  let monitor: NodeJS.Timeout | undefined;
  let draining = false;
  let reached = false;
  const updateReadiness = () =>
    health.setStatus(STORE_SERVICE_NAME, reached && !draining ? 'SERVING' : 'NOT_SERVING');
  const markDraining = () => {
    draining = true;
    updateReadiness();
  };
  return {
    server,
    healthServer,
    markDraining,
    startHealthMonitor(intervalMs) {
      let healthy: boolean | undefined;
      const report = (up: boolean, err?: unknown) => {
        if (up && healthy !== true) deps.logger.info('data store reachable');
        if (!up && healthy !== false) deps.logger.warn({ err }, 'data store unreachable');
        healthy = up;
        deps.metrics.dataStoreUp.set(up ? 1 : 0);
        health.setStatus(DATA_STORE_HEALTH, up ? 'SERVING' : 'NOT_SERVING');
        if (up && !reached) {
          reached = true;
          updateReadiness();
        }
      };
      const probe = () =>
        deps.repository.ping().then(
          () => report(true),
          (err: unknown) => report(false, err),
        );
      void probe();
      monitor = setInterval(probe, intervalMs);
      monitor.unref();
    },
    shutdown(timeoutMs) {
      if (monitor !== undefined) clearInterval(monitor);
      markDraining();
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          deps.logger.warn({ timeoutMs }, 'in-flight calls did not finish in time: cancelling them');
          server.forceShutdown();
          healthServer.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          healthServer.forceShutdown();
          resolve();
        });
      });
    },
  };
}

export function bindServer(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
}
