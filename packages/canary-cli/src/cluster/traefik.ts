import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTool, freePort } from 'upstream-tools';
import { launch } from './control-plane.ts';
import { waitFor } from './wait.ts';

/** The entrypoints the platform's Traefik install defines (localdev/infrastructure/traefik-values.yaml). */
export const EDGE_ENTRYPOINTS = ['web', 'websecure', 'internal'] as const;
export type EdgeEntrypoint = (typeof EDGE_ENTRYPOINTS)[number];

/** One router or middleware as Traefik's API reports it. */
export interface TraefikItem {
  readonly name: string;
  readonly status: string;
  readonly provider: string;
  readonly error?: readonly string[];
  readonly rule?: string;
  readonly entryPoints?: readonly string[];
  /** Services: the servers of their load balancer. */
  readonly loadBalancer?: { readonly servers?: ReadonlyArray<{ readonly url: string }> };
}

export interface RunningTraefik {
  readonly version: string;
  /** Loopback port of each entrypoint. */
  readonly ports: Readonly<Record<EdgeEntrypoint, number>>;
  /** With `gateway`: the port of the entrypoint a Gateway listener binds (Traefik matches them by port). */
  readonly gatewayPort: number | undefined;
  routers(): Promise<TraefikItem[]>;
  middlewares(): Promise<TraefikItem[]>;
  services(): Promise<TraefikItem[]>;
  /** The last lines of its log (for error messages). */
  logTail(): string;
  stop(): Promise<void>;
}

/**
 * Runs the real Traefik (built from its Go module) with the kubernetescrd provider against a
 * control plane, with the options the platform's Helm values set: the chart's entrypoints
 * (web, websecure with TLS, and the guarded internal one), cross-namespace references, and
 * the chart's default of answering 503 for Services without endpoints. Every port is on
 * 127.0.0.1. The API (never the dashboard) is on its own loopback entrypoint.
 */
export async function startTraefik(options: {
  readonly kubeconfig: string;
  readonly dir: string;
  readonly progress?: (line: string) => void;
  /**
   * Also run the kubernetesgateway provider, with an entrypoint `gateway` for a Gateway's
   * listener: Traefik's GRPCRoute implementation, the reference the lab's mesh is held to.
   */
  readonly gateway?: boolean;
}): Promise<RunningTraefik> {
  const tool = await ensureTool('traefik', options.progress);
  const ports = {
    web: await freePort(),
    websecure: await freePort(),
    internal: await freePort(),
  };
  const api = await freePort();
  const gatewayPort = options.gateway === true ? await freePort() : undefined;
  const log = join(options.dir, 'traefik.log');
  // Outside a cluster the provider reads KUBECONFIG; the in-cluster variables must be absent.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KUBECONFIG: options.kubeconfig,
  };
  const child: ChildProcess = launch(
    tool.path,
    [
      `--entryPoints.web.address=127.0.0.1:${ports.web}`,
      `--entryPoints.websecure.address=127.0.0.1:${ports.websecure}`,
      '--entryPoints.websecure.http.tls=true',
      `--entryPoints.internal.address=127.0.0.1:${ports.internal}`,
      `--entryPoints.traefik.address=127.0.0.1:${api}`,
      '--api.insecure=true',
      '--api.dashboard=false',
      '--providers.kubernetescrd=true',
      '--providers.kubernetescrd.allowCrossNamespace=true',
      '--providers.kubernetescrd.allowEmptyServices=true',
      ...(gatewayPort === undefined
        ? []
        : [`--entryPoints.gateway.address=127.0.0.1:${gatewayPort}`, '--providers.kubernetesgateway=true']),
      // Load every change at once: the probes wait for Traefik, not for a throttle.
      '--providers.providersThrottleDuration=0s',
      '--global.checkNewVersion=false',
      '--global.sendAnonymousUsage=false',
      '--log.level=ERROR',
    ],
    log,
    env,
  );
  const tail = (): string => {
    try {
      return readFileSync(log, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };
  const get = async (path: string): Promise<TraefikItem[]> => {
    const res = await fetch(`http://127.0.0.1:${api}${path}`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`traefik API ${path}: HTTP ${res.status}`);
    return (await res.json()) as TraefikItem[];
  };
  const stop = async () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const ready = await waitFor(async () => {
    if (child.exitCode !== null) return true;
    return get('/api/http/routers')
      .then(() => true)
      .catch(() => false);
  }, 30_000);
  if (!ready || child.exitCode !== null) {
    await stop();
    throw new Error(`traefik ${tool.version} did not start in 30 s:\n${tail()}`);
  }
  return {
    version: tool.version,
    ports,
    gatewayPort,
    routers: () => get('/api/http/routers?per_page=1000'),
    middlewares: () => get('/api/http/middlewares?per_page=1000'),
    services: () => get('/api/http/services?per_page=1000'),
    logTail: tail,
    stop,
  };
}
