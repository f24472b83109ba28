// A lab in a process of its own, for the lab memory section, as `canary lab up` runs it:
// the routers here, the embedded DynamoDB (data on disk) and the stable services in
// processes of their own. Answers one JSON line on stdout per command read from stdin:
//   (start)  {"event":"ready","internal":<port>,"pid":<pid>}
//   mem      {"event":"mem","lab":{"pid":…,"rss":…,"heapUsed":…,…},"dynamo":{"pid":…,"rss":…,…}}
//            (both processes after a full GC; the store's open LevelDB iterators)
//   add <N> <service,…>   {"event":"added","pr":N,"ms":…,"pids":{"api-service":…,…},"builds":{"api-service":"bundle"|"sources",…}}
//   stop     stops the lab and exits (so does the end of stdin)
// Progress goes to stderr. BENCH_LAB_DATA: data directory; BENCH_LAB_KEY: issuer key file.
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { manifestRoutes } from 'canary-cli/lab-routes';
import { forgetLabProcessEnv, Lab } from 'local-runtime/lab';
import { repoRoot } from 'local-runtime/paths';

// MALLOC_ARENA_MAX was for this process (as `canary lab up` sets it), not for the services.
forgetLabProcessEnv(process.env);

const reply = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const dataDir = process.env.BENCH_LAB_DATA;
const issuerKeyFile = process.env.BENCH_LAB_KEY;
if (dataDir === undefined || issuerKeyFile === undefined)
  throw new Error('lab-holder: BENCH_LAB_DATA and BENCH_LAB_KEY are required');

const lab = await Lab.start({
  repoRoot,
  routes: manifestRoutes,
  port: 0,
  publicPort: 0,
  dataDir,
  issuerKeyFile,
  progress: (line) => process.stderr.write(`lab-holder: ${line}\n`),
});
let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= lab.stop().finally(() => process.exit(0));
  return stopping;
};
reply({ event: 'ready', internal: lab.ports.internal, pid: process.pid });

for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.trim().split(/\s+/);
  if (command === 'mem') {
    // What is retained, not what awaits collection (both started with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    const dynamo = lab.dynamo;
    reply({
      event: 'mem',
      lab: { pid: process.pid, ...process.memoryUsage() },
      dynamo: dynamo === undefined ? null : { pid: dynamo.pid, ...(await dynamo.memory()) },
    });
  } else if (command === 'add') {
    const pr = Number(args[0]);
    const services = (args[1] ?? '').split(',').filter((s) => s !== '');
    const t0 = performance.now();
    await lab.add(pr, { services });
    const ms = performance.now() - t0;
    const pids = Object.fromEntries(services.map((s) => [s, lab.backend(s, pr)?.pid ?? -1]));
    // What each runs: its bundle (dist/main.js, as a canary does when it is built) or the sources.
    const builds = Object.fromEntries(
      Object.entries(pids).map(([s, pid]) => {
        const cmdline = existsSync(`/proc/${pid}/cmdline`)
          ? readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          : '';
        return [s, cmdline.includes('/dist/main.js') ? 'bundle' : 'sources'];
      }),
    );
    reply({ event: 'added', pr, ms, pids, builds });
  } else if (command === 'stop') {
    break;
  }
}
await stop();
