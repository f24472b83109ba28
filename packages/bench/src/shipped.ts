// The services as the images and manifests run them: the bundles (scripts/build-services.ts)
// with the heap flags, memory figures and sampling of kustomize/<service>/base/deployment.yaml.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { containerMemory, type HeapFlags, memoryCeiling } from 'canary-cli/node-memory';
import { CANARY_PROFILE_FILE, canaryProfile } from 'local-runtime/lab';
import { repoRoot } from 'local-runtime/paths';
import { type ServiceProcess, startService } from 'local-runtime/process';
import { LOCAL, TRUST_HEADERS } from 'local-runtime/services';
import { parse } from 'yaml';

const run = promisify(execFile);
const MiB = 2 ** 20;

export interface ShippedSettings {
  readonly nodeOptions: string;
  readonly flags: HeapFlags;
  readonly limitMiB: number;
  readonly requestMiB: number;
  /** The most the flags let the process hold (old + 3 semi + outside the heap), MiB. */
  readonly ceilingMiB: number;
  /** OTEL_TRACES_SAMPLER and its argument as the manifests set them. */
  readonly sampling: Record<string, string>;
}

interface Container {
  name: string;
  env?: Array<{ name: string; value?: string }>;
}

/** The canary profile (manifests-microservices/canary/profile.yaml) read the same way: every PR canary's. */
export function canarySettings(): Omit<ShippedSettings, 'sampling'> {
  const profile = canaryProfile(repoRoot);
  if (profile === undefined) throw new Error(`${CANARY_PROFILE_FILE} is missing`);
  const { nodeOptions, flags, limit, request } = containerMemory({
    env: [{ name: 'NODE_OPTIONS', value: profile.nodeOptions }],
    resources: profile.resources,
  });
  if (nodeOptions === undefined || flags.oldSpaceMiB === undefined || flags.semiSpaceMiB === undefined)
    throw new Error(`${CANARY_PROFILE_FILE}: NODE_OPTIONS sets no heap flags`);
  if (limit === undefined || request === undefined)
    throw new Error(`${CANARY_PROFILE_FILE}: no memory request or limit`);
  const complete = { oldSpaceMiB: flags.oldSpaceMiB, semiSpaceMiB: flags.semiSpaceMiB };
  return {
    nodeOptions,
    flags: complete,
    limitMiB: limit / MiB,
    requestMiB: request / MiB,
    ceilingMiB: memoryCeiling(complete) / MiB,
  };
}

export function shippedSettings(service: string): ShippedSettings {
  const file = join(repoRoot, 'manifests-microservices/kustomize', service, 'base/deployment.yaml');
  const deployment = parse(readFileSync(file, 'utf8')) as {
    spec: { template: { spec: { containers: Container[] } } };
  };
  const container = deployment.spec.template.spec.containers.find((c) => c.name === service);
  if (container === undefined) throw new Error(`${file}: no container ${service}`);
  // The same reading of flags and memory as canary verify's rule node-memory-fits.
  const { nodeOptions, flags, limit, request } = containerMemory(container);
  if (nodeOptions === undefined || flags.oldSpaceMiB === undefined || flags.semiSpaceMiB === undefined)
    throw new Error(`${file}: NODE_OPTIONS sets no heap flags (canary verify: node-memory-fits)`);
  if (limit === undefined || request === undefined)
    throw new Error(`${file}: ${service} has no memory request or limit`);
  const complete = { oldSpaceMiB: flags.oldSpaceMiB, semiSpaceMiB: flags.semiSpaceMiB };
  const sampling = Object.fromEntries(
    (container.env ?? [])
      .filter((e) => e.name.startsWith('OTEL_TRACES_SAMPLER'))
      .map((e) => [e.name, e.value ?? '']),
  );
  return {
    nodeOptions,
    flags: complete,
    limitMiB: limit / MiB,
    requestMiB: request / MiB,
    ceilingMiB: memoryCeiling(complete) / MiB,
    sampling,
  };
}

/** Builds the bundles the images run (the same script as the Dockerfiles). */
export async function buildBundles(): Promise<void> {
  await run(process.execPath, [join(repoRoot, 'scripts/build-services.ts')], { cwd: repoRoot });
}

export type Build = 'sources' | 'bundle';

/** A catalogue service on loopback, as shipped unless told otherwise. */
export function startShipped(
  service: string,
  env: Record<string, string>,
  options: { build?: Build; heapFlags?: boolean | string; telemetry?: boolean } = {},
): Promise<ServiceProcess> {
  // heapFlags: the manifests' (default), none (false), or these NODE_OPTIONS.
  const flags: Record<string, string> =
    options.heapFlags === false
      ? {}
      : {
          NODE_OPTIONS:
            typeof options.heapFlags === 'string' ? options.heapFlags : shippedSettings(service).nodeOptions,
        };
  return startService(service, {
    // The bench sends X-Tenant-ID without tokens (the store ignores the switch).
    env: { ...LOCAL, ...TRUST_HEADERS, ...flags, ...env },
    build: options.build ?? 'bundle',
    telemetry: options.telemetry ?? true,
  });
}

/** Spawns a helper script that prints {"event":"ready","port":N,...}; stdin stays open for it. */
export function spawnReady(file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [file], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise<{
    pid: number;
    ready: Record<string, number>;
    send: (line: string) => void;
    stop: () => void;
  }>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"ready"')) return;
      resolve({
        pid: child.pid ?? -1,
        ready: JSON.parse(line) as Record<string, number>,
        send: (text) => child.stdin.write(`${text}\n`),
        stop: () => child.kill('SIGKILL'),
      });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}`)));
  });
}

/** An OTLP/HTTP endpoint on loopback that takes every export and keeps nothing. */
export async function startSpanSink(): Promise<{ endpoint: string; close: () => void }> {
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
    close: () => sink.close(),
  };
}
