import {
  controlFile,
  type EdgeKind,
  Lab,
  type LabStatus,
  reapStaleLab,
  removeLeftoverWorktrees,
  serveControl,
} from 'local-runtime/lab';
import { DEFAULT_DATA_DIR } from 'local-runtime/paths';
import { manifestRoutes } from './lab-routes.ts';
import { issuerKeyFile } from './token-command.ts';

export { DEFAULT_DATA_DIR };

export interface LabUpOptions {
  readonly repoRoot: string;
  readonly port: number;
  readonly publicPort: number;
  /** Where the embedded store keeps data; undefined keeps it in memory. */
  readonly dataDir: string | undefined;
  readonly stableRef: string | undefined;
  readonly observability: boolean;
  readonly verbose: boolean;
  /** The lab's own emulation of Traefik (default), or real Traefik built from its Go module. */
  readonly edge?: EdgeKind;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The lines of `lab status` (and of lab up once it is ready). */
export function statusLines(status: LabStatus): string[] {
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);
  say('');
  say('  entrypoints');
  for (const [name, url] of Object.entries(status.entrypoints)) say(`    ${name.padEnd(10)} ${url}`);
  say('  mesh routers');
  for (const [service, address] of Object.entries(status.mesh)) say(`    ${service.padEnd(15)} ${address}`);
  say(`  dynamodb ${status.dynamodb}${status.dataDir === null ? ' (in memory)' : ` (${status.dataDir})`}`);
  if (status.prometheus !== null) say(`  prometheus ${status.prometheus}`);
  say('');
  say('  service         track         address            pid      up   restarts             runs');
  for (const s of status.services) {
    const restarts = `${s.restarts}${s.lastExit === null ? '' : ` (last: ${s.lastExit})`}`;
    say(
      `  ${s.service.padEnd(15)} ${s.track.padEnd(13)} ${(s.address ?? '-').padEnd(18)} ${String(s.pid ?? '-').padEnd(8)} ${s.up ? 'yes' : 'NO '}  ${restarts.padEnd(20)} ${s.source === 'working tree' ? 'working tree' : s.source.replace(/^.*\/worktrees\//, 'ref ').slice(0, 16)}`,
    );
  }
  if (status.canaries.length > 0) {
    say('');
    say(
      `  ${'canary'.padEnd(8)} ${'services'.padEnd(32)} ${'head'.padEnd(8)}  ${'ref'.padEnd(15)} isolated tables`,
    );
    for (const c of status.canaries) {
      const tables = Object.entries(c.tables).map(([service, table]) => `${table} (${service})`);
      say(
        `  PR ${String(c.pr).padEnd(5)} ${c.services.join(', ').padEnd(32)} ${c.sha.slice(0, 8)}  ${(c.ref ?? '-').padEnd(15)} ${tables.join(', ') || '-'}`,
      );
    }
  }
  say('');
  say(`  routes loaded: ${status.routes.edge.length} edge, ${status.routes.mesh.length} mesh`);
  for (const r of [...status.routes.edge, ...status.routes.mesh]) say(`    ${r}`);
  return lines;
}

export function printStatus(status: LabStatus): void {
  for (const line of statusLines(status)) say(line);
}

/** `canary lab up`: the whole system on this machine, routed by the rendered manifests. */
export async function labUp(options: LabUpOptions): Promise<number> {
  const sinks = new Set<(line: string) => void>();
  const progress = (line: string) => {
    say(`lab: ${line}`);
    for (const sink of sinks) sink(line);
  };
  const stale = await reapStaleLab(options.repoRoot, [controlFile(options.repoRoot)]);
  if (stale.kind === 'running')
    throw new Error(
      `a lab is already running from this checkout (pid ${stale.pid}); stop it first (Ctrl-C in its terminal, or kill ${stale.pid})`,
    );
  if (stale.kind === 'reaped') {
    progress(
      stale.reaped.length === 0
        ? `the previous lab (pid ${stale.pid}) ended without cleaning up; removed its state files`
        : `the previous lab (pid ${stale.pid}) ended without cleaning up; stopped what it left running: ${stale.reaped.map((r) => `${r.name} (pid ${r.pid})`).join(', ')}`,
    );
  }
  const leftovers = await removeLeftoverWorktrees(options.repoRoot);
  if (leftovers.length > 0)
    progress(`removed ${leftovers.length} worktree(s) an earlier lab left in .lab/worktrees`);
  progress(
    `starting (data: ${options.dataDir ?? 'in memory'}; edge: ${options.edge === 'traefik' ? 'real Traefik, built from its Go module on first use' : "the lab's emulation of Traefik"}) ...`,
  );
  const lab = await Lab.start({
    repoRoot: options.repoRoot,
    routes: manifestRoutes,
    port: options.port,
    publicPort: options.publicPort,
    dataDir: options.dataDir,
    stableRef: options.stableRef,
    observability: options.observability,
    edge: options.edge ?? 'emulated',
    recordState: true,
    issuerKeyFile: issuerKeyFile(options.repoRoot),
    progress,
    onServiceLog: options.verbose ? (name, line) => say(`[${name}] ${line}`) : undefined,
  }).catch((err: unknown) => {
    const message = (err as Error).message;
    const port = /^port (\d+) \(entrypoint (\w+)\) is already in use/.exec(message);
    if (port === null) throw err;
    const flag = port[2] === 'internal' ? '--port' : '--public-port';
    // Both ports, as npm start (the README's command) takes them, and nothing else.
    const free = (n: number) => (n === 0 ? 0 : n + 10);
    throw new Error(
      `${message} (another lab, or another program, holds it): choose another with ${flag}, e.g. npm start -- --port ${free(options.port)} --public-port ${free(options.publicPort)} (./canary lab up takes the same options)`,
    );
  });
  const control = await serveControl(lab, options.repoRoot, sinks);
  const url = `http://localhost:${lab.ports.internal}`;
  printStatus(lab.status());
  say('');
  say('Try:');
  say(`  export TOKEN=$(./canary token --tenant demo)   # the api wants a JWT, as in the cluster`);
  say(
    `  curl -s -X POST ${url}/v1/items -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\\n` +
      `       -d '{"name":"Dune","price_cents":1299,"category":"books","inventory_count":5}'`,
  );
  say(`  curl -s ${url}/v1/items -H "Authorization: Bearer $TOKEN"`);
  say(`  ./canary lab add 123                     # PR 123 of every service, from this working tree`);
  say(`  curl -si ${url}/v1/items -H "Authorization: Bearer $TOKEN" -H 'X-Canary: 123' | grep -i '^x-'`);
  say(`  ./canary explain --pr 123 GET /v1/items`);
  say(
    `  curl -si http://localhost:${lab.ports.websecure}/v1/items -H "Authorization: Bearer $TOKEN" -H 'X-Canary: 123' | grep -i '^x-served'   # public: stripped`,
  );
  say('');
  // Ctrl-C, kill, or the terminal closing (SIGHUP): stop everything in order. A lab killed
  // with SIGKILL cannot do this; its services notice and stop themselves (parent-watch),
  // and the next `lab up` removes its state. Listening before saying so: a signal sent
  // right after this line must find the handlers.
  const stopRequested = new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve());
  });
  say('Ctrl-C stops everything.');

  await stopRequested;
  say('lab: stopping ...');
  await control.close();
  await lab.stop();
  say('lab: stopped');
  return 0;
}
