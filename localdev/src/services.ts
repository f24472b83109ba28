import { type ServiceProcess, type StartOptions, startService } from './process.ts';

/** Loopback only, ports chosen by the OS: how the stack, the bench and the tests run services. */
export const LOCAL = Object.freeze({ PORT: '0', METRICS_PORT: '0', BIND_HOST: '127.0.0.1' });

type Extra = Pick<StartOptions, 'onLog' | 'telemetry'>;

/** store-service on a DynamoDB endpoint (table created), with extra environment. */
export function startStore(
  dynamo: { endpoint: string } | string,
  env: Record<string, string> = {},
  options: Extra = {},
): Promise<ServiceProcess> {
  return startService('store-service', {
    ...options,
    env: {
      ...LOCAL,
      DYNAMODB_ENDPOINT: typeof dynamo === 'string' ? dynamo : dynamo.endpoint,
      DYNAMODB_CREATE_TABLE: 'true',
      ...env,
    },
  });
}

/** api-service calling the store at 127.0.0.1:storePort. */
export function startApi(
  storePort: number,
  env: Record<string, string> = {},
  options: Extra = {},
): Promise<ServiceProcess> {
  return startService('api-service', {
    ...options,
    env: { ...LOCAL, STORE_ADDRESS: `127.0.0.1:${storePort}`, ...env },
  });
}
