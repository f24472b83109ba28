import { createServer } from 'node:net';
import { DEFAULT_DATA_DIR, startStack } from 'localdev/stack';

export interface LabUpOptions {
  readonly port: number;
  /** Where the embedded store keeps data; undefined keeps it in memory. */
  readonly dataDir: string | undefined;
  readonly verbose: boolean;
}

export { DEFAULT_DATA_DIR };

function checkPortFree(port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} is already in use (another lab still running?); pick another with --port`
            : `cannot listen on port ${port}: ${err.message}`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

export async function labUp(options: LabUpOptions): Promise<number> {
  await checkPortFree(options.port);
  const { dataDir } = options;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`lab: starting the embedded store (${dataDir ?? 'in memory'}), store-service and api-service ...`);
  const stack = await startStack({
    apiPort: options.port,
    dataDir,
    onLog: options.verbose ? (service, line) => process.stdout.write(`[${service}] ${line}\n`) : undefined,
  });
  const url = stack.apiUrl;
  say('');
  say('  service         track    address                       pid');
  say(`  api-service     stable   ${url.padEnd(30)}${stack.api.pid}`);
  say(
    `  store-service   stable   ${`127.0.0.1:${stack.store.ports.port} (gRPC)`.padEnd(30)}${stack.store.pid}`,
  );
  say(`  dynamodb        -        ${stack.dynamo.endpoint.padEnd(30)}${process.pid}`);
  say('');
  say('Try:');
  say(
    `  curl -s -X POST ${url}/v1/items -H 'X-Tenant-ID: demo' -H 'Content-Type: application/json' \\\n` +
      `       -d '{"name":"Dune","price_cents":1299,"category":"books","inventory_count":5}'`,
  );
  say(`  curl -s ${url}/v1/items -H 'X-Tenant-ID: demo'`);
  say(`  curl -si ${url}/v1/items -H 'X-Tenant-ID: demo' -H 'X-Canary: 123' | grep -i '^x-'`);
  say(`  curl -s ${url}/openapi.json`);
  say('');
  say('Ctrl-C stops everything.');

  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // A service that dies on its own takes the lab down with a message, not silently.
    for (const service of [stack.store, stack.api]) {
      void service.exited.then((code) => {
        if (stopping) return;
        say(`lab: ${service.name} exited on its own (code ${code}); see --verbose for its logs`);
        resolve();
      });
    }
  });
  stopping = true;
  say('lab: stopping ...');
  await stack.stop();
  say('lab: stopped');
  return 0;
}
