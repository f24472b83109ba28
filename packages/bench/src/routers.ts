// The lab's routers against nginx doing the same header routing: client → edge → api →
// mesh → store (in memory), each router in its own process; throughput relative to the
// api called directly, and the routers' CPU per request.
import { join } from 'node:path';
import { repoRoot } from 'local-runtime/paths';
import { BENCH_HOST } from './lab-routers.ts';
import { type Load, load, median, rotated } from './load.ts';
import { freePort, nginxMissing, startNginx } from './nginx.ts';
import { spawnReady, startShipped } from './shipped.ts';
import { createItem } from './start-memory.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export interface RouterFigures {
  readonly lines: string[];
  /** Lab router CPU per request / nginx's (undefined without nginx). */
  readonly cpuFactor: number | undefined;
  readonly missing: string | undefined;
}

export async function routers(rounds: number, seconds: number, connections: number): Promise<RouterFigures> {
  const missing = nginxMissing();
  const store = await startShipped('store-service', { STORE_BACKEND: 'memory' });
  const storeAddress = `127.0.0.1:${store.ports.port}`;
  const direct = await startShipped('api-service', { STORE_ADDRESS: storeAddress });
  const lab = await spawnReady(join(repoRoot, 'packages/bench/src/lab-routers.ts'), {
    STORE_ADDRESS: storeAddress,
  });
  const labApi = await startShipped('api-service', { STORE_ADDRESS: `127.0.0.1:${lab.ready.mesh_port}` });
  lab.send(`127.0.0.1:${labApi.ports.port}`);
  const grpcPort = await freePort();
  const edgePort = await freePort();
  const nginxApi =
    missing === undefined
      ? await startShipped('api-service', { STORE_ADDRESS: `127.0.0.1:${grpcPort}` })
      : undefined;
  const nginx =
    nginxApi === undefined
      ? undefined
      : await startNginx({
          apiAddress: `127.0.0.1:${nginxApi.ports.port}`,
          storeAddress,
          edgePort,
          grpcPort,
        });
  const id = await createItem(direct, 'bench');
  const headers = { 'x-tenant-id': 'bench', host: BENCH_HOST, 'x-canary': '123' };
  type Kind = 'direct' | 'lab' | 'nginx';
  const runs: Array<[Kind, () => Promise<Load>]> = [
    [
      'direct',
      () =>
        load(`http://127.0.0.1:${direct.ports.port}/v1/items/${id}`, {
          headers,
          seconds,
          connections,
          watch: { api: direct.pid, store: store.pid },
        }),
    ],
    [
      'lab',
      () =>
        load(`http://127.0.0.1:${lab.ready.port}/v1/items/${id}`, {
          headers,
          seconds,
          connections,
          watch: { router: lab.pid, api: labApi.pid, store: store.pid },
        }),
    ],
  ];
  if (nginx !== undefined && nginxApi !== undefined)
    runs.push([
      'nginx',
      () =>
        load(`http://127.0.0.1:${edgePort}/v1/items/${id}`, {
          headers,
          seconds,
          connections,
          watch: { router: nginx.pid, api: nginxApi.pid, store: store.pid },
        }),
    ]);
  const results: Record<Kind, Load[]> = { direct: [], lab: [], nginx: [] };
  try {
    for (let round = 0; round < rounds; round += 1) {
      const turn = rotated(runs, round);
      say(`bench: routers, round ${round + 1}/${rounds} (${turn.map(([k]) => k).join(', ')}) ...`);
      for (const [kind, run] of turn) results[kind].push(await run());
    }
  } finally {
    nginx?.stop();
    lab.stop();
    await Promise.all([direct.stop(), labApi.stop(), nginxApi?.stop()]);
    await store.stop();
  }
  const rps = (k: Kind) => median(results[k].map((l) => l.rps));
  const routerCpu = (k: Kind) => median(results[k].map((l) => l.cpuPerRequest.router ?? 0));
  const lines = [
    '| path (with X-Canary: 123, routed at both hops) | req/s (median) | of direct | router CPU µs/req | api CPU µs/req | store CPU µs/req |',
    '|---|---|---|---|---|---|',
    ...(['direct', 'lab', 'nginx'] as Kind[])
      .filter((k) => results[k].length > 0)
      .map(
        (k) =>
          `| ${k === 'direct' ? 'api called directly, store directly' : k === 'lab' ? 'lab edge + mesh routers (Node, one process)' : 'nginx edge + gRPC proxy (one process)'} | ${Math.round(rps(k))} | ${Math.round((rps(k) / rps('direct')) * 100)}% | ${k === 'direct' ? '-' : Math.round(routerCpu(k))} | ${Math.round(median(results[k].map((l) => l.cpuPerRequest.api ?? 0)))} | ${Math.round(median(results[k].map((l) => l.cpuPerRequest.store ?? 0)))} |`,
      ),
  ];
  return {
    lines,
    cpuFactor: results.nginx.length > 0 ? routerCpu('lab') / routerCpu('nginx') : undefined,
    missing,
  };
}
