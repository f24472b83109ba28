import { loadCatalogue, type ServiceEntry, serviceOf } from 'service-catalogue';
import { repoRoot } from './paths.ts';
import { type ServiceProcess, type StartOptions, startService } from './process.ts';

/** Loopback only, ports chosen by the OS: how the lab, the bench and the tests run services. */
export const LOCAL = Object.freeze({ PORT: '0', METRICS_PORT: '0', BIND_HOST: '127.0.0.1' });

/**
 * For the api and store processes tests and the bench start without a token issuer: the
 * api then trusts X-Tenant-ID, the store each request's tenant_id (a developer setup;
 * without this and without AUTH_JWKS_URL either refuses to start). The lab never sets it:
 * every service it starts, stable or canary, has its issuer.
 */
export const TRUST_HEADERS = Object.freeze({ AUTH_DEV_TRUST_HEADERS: 'true' });

/** What a service is connected to on this machine. */
export interface LocalWiring {
  /** DynamoDB endpoint, for a service with `data` in the catalogue. */
  readonly dynamoEndpoint?: string;
  /** Its table (default: the catalogue's `data.table`). */
  readonly table?: string;
  /** Address (host:port) of each downstream service, by catalogue name. */
  readonly downstreams?: Readonly<Record<string, string>>;
}

/**
 * The environment that connects a catalogue service on this machine, derived from its
 * entry alone: each downstream's address in the variable the catalogue names, and for a
 * service with data the DynamoDB endpoint and table (created on start, as the lab's
 * embedded store starts empty).
 */
export function localEnv(entry: ServiceEntry, wiring: LocalWiring): Record<string, string> {
  const env: Record<string, string> = { ...LOCAL };
  for (const down of entry.downstreams) {
    const address = wiring.downstreams?.[down.service];
    if (address === undefined)
      throw new Error(`${entry.name}: no address for its downstream ${down.service}`);
    env[down.env] = address;
  }
  if (entry.data !== null) {
    if (wiring.dynamoEndpoint === undefined) throw new Error(`${entry.name}: needs a DynamoDB endpoint`);
    env.DYNAMODB_ENDPOINT = wiring.dynamoEndpoint;
    env.DYNAMODB_CREATE_TABLE = 'true';
    env.TABLE_NAME = wiring.table ?? entry.data.table;
  }
  return env;
}

type Extra = Pick<StartOptions, 'onLog' | 'telemetry' | 'readyTimeoutMs' | 'root' | 'build'>;

/**
 * A catalogue service on this machine, wired by localEnv; `env` overrides (tests use it
 * for fault settings).
 */
export function startLocal(
  name: string,
  wiring: LocalWiring,
  env: Record<string, string> = {},
  options: Extra = {},
): Promise<ServiceProcess> {
  const entry = serviceOf(loadCatalogue(options.root ?? repoRoot), name);
  return startService(name, { ...options, env: { ...localEnv(entry, wiring), ...env } });
}

/**
 * store-service on a DynamoDB endpoint (its table created), for the store's and the api's
 * tests; each request's tenant_id trusted unless `env` names an issuer (as startApi).
 */
export const startStore = (
  dynamo: { endpoint: string } | string,
  env: Record<string, string> = {},
  options: Extra = {},
): Promise<ServiceProcess> =>
  startLocal(
    'store-service',
    { dynamoEndpoint: typeof dynamo === 'string' ? dynamo : dynamo.endpoint },
    { ...TRUST_HEADERS, ...env },
    options,
  );

/** api-service calling the store at 127.0.0.1:storePort; X-Tenant-ID trusted unless `env` names an issuer. */
export const startApi = (
  storePort: number,
  env: Record<string, string> = {},
  options: Extra = {},
): Promise<ServiceProcess> =>
  startLocal(
    'api-service',
    { downstreams: { 'store-service': `127.0.0.1:${storePort}` } },
    { ...TRUST_HEADERS, ...env },
    options,
  );
