import { mkdir } from 'node:fs/promises';
import { loadCatalogue, startOrder } from 'service-catalogue';
import { type EmbeddedDynamo, startEmbeddedDynamo } from './dynalite.ts';
import { startIssuer, type TokenOptions } from './issuer.ts';
import { repoRoot } from './paths.ts';
import type { ServiceProcess } from './process.ts';
import { startLocal } from './services.ts';

export interface StackOptions {
  /** Port of the edge service on localhost (0: any free port). */
  readonly edgePort: number;
  /** Where the embedded store keeps its data; undefined keeps it in memory. */
  readonly dataDir: string | undefined;
  readonly onLog?: (service: string, line: string) => void;
  /** Extra environment for every service. */
  readonly env?: Record<string, string>;
  /** Run the sources (default) or the bundles the images ship (scripts/build-services.ts). */
  readonly build?: 'sources' | 'bundle';
}

export interface Stack {
  readonly dynamo: EmbeddedDynamo;
  /** A token for a tenant (the edge service authenticates every request, as in the cluster). */
  token(tenant: string, options?: TokenOptions): Promise<string>;
  /** The process of a catalogue service (throws for a name the stack does not run). */
  service(name: string): ServiceProcess;
  /** http://localhost:<port> of the catalogue's edge service. */
  readonly edgeUrl: string;
  stop(): Promise<void>;
}

/**
 * The catalogue's services on one machine, stable, without routers: an embedded
 * DynamoDB-compatible store (dynalite), then every service after the services it calls,
 * each given its downstreams' addresses directly. Stops in reverse order.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const catalogue = loadCatalogue(repoRoot);
  const edge = catalogue.find((e) => e.exposure === 'edge');
  if (edge === undefined) throw new Error('the catalogue has no edge service');
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  const dynamo = await startEmbeddedDynamo(options.dataDir === undefined ? {} : { path: options.dataDir });
  const issuer = await startIssuer();
  const started = new Map<string, ServiceProcess>();
  const stopAll = async () => {
    for (const service of [...started.values()].reverse()) await service.stop();
    await dynamo.close();
    await issuer.close();
  };
  try {
    for (const entry of startOrder(catalogue)) {
      const downstreams = Object.fromEntries(
        entry.downstreams.map((d) => [d.service, `127.0.0.1:${started.get(d.service)?.ports.port ?? 0}`]),
      );
      const env = {
        ...issuer.env,
        ...options.env,
        ...(entry === edge ? { PORT: String(options.edgePort) } : {}),
      };
      started.set(
        entry.name,
        await startLocal(entry.name, { dynamoEndpoint: dynamo.endpoint, downstreams }, env, {
          onLog: (line) => options.onLog?.(entry.name, line),
          ...(options.build === undefined ? {} : { build: options.build }),
        }),
      );
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    dynamo,
    token: (tenant, tokenOptions) => issuer.token(tenant, tokenOptions),
    service(name) {
      const process = started.get(name);
      if (process === undefined) throw new Error(`the stack runs no ${name}`);
      return process;
    },
    edgeUrl: `http://localhost:${started.get(edge.name)?.ports.port}`,
    stop: stopAll,
  };
}
