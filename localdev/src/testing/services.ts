import { type ServiceProcess, startService } from '../process.ts';

/** Loopback-only, ports chosen by the OS: how tests run services. */
export const LOCAL = Object.freeze({ PORT: '0', METRICS_PORT: '0', BIND_HOST: '127.0.0.1' });

/** store-service on an embedded DynamoDB (table created), with extra environment. */
export function startStore(
  dynamo: { endpoint: string } | string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startService('store-service', {
    env: {
      ...LOCAL,
      DYNAMODB_ENDPOINT: typeof dynamo === 'string' ? dynamo : dynamo.endpoint,
      STORE_CREATE_TABLE: 'true',
      ...env,
    },
  });
}

/** api-service calling the store at 127.0.0.1:storePort. */
export function startApi(storePort: number, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startService('api-service', { env: { ...LOCAL, STORE_ADDRESS: `127.0.0.1:${storePort}`, ...env } });
}
