import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PlatformObject } from 'routing-model';
import { stringify } from 'yaml';

/** One scrape target, labelled as a ServiceMonitor would label the pod's metrics port. */
export interface ScrapeTarget {
  readonly address: string;
  readonly service: string;
  readonly namespace: string;
  readonly track: string;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/**
 * A local Prometheus (Debian's `prometheus`) for the lab: scrapes every lab process with
 * the job/namespace/service labels the ServiceMonitors give them in the cluster, and
 * evaluates the PrometheusRule groups rendered from the manifests (every 2 s instead of
 * 15 s, so a few seconds of traffic show up).
 */
export class LabPrometheus {
  readonly #dir: string;
  #child: ChildProcess | undefined;
  url = '';

  private constructor(dir: string) {
    this.#dir = dir;
  }

  static async start(
    dir: string,
    rules: readonly PlatformObject[],
    targets: readonly ScrapeTarget[],
  ): Promise<LabPrometheus> {
    try {
      await promisify(execFile)('prometheus', ['--version']);
    } catch {
      throw new Error(
        "--observability needs Debian's prometheus: sudo apt-get install --no-install-recommends prometheus (or scripts/install-system-packages.sh)",
      );
    }
    const lab = new LabPrometheus(dir);
    await mkdir(join(dir, 'data'), { recursive: true });
    const groups = rules.flatMap((r) =>
      ((r.spec as { groups?: Array<Record<string, unknown>> }).groups ?? []).map((g) => ({
        ...g,
        interval: '2s',
      })),
    );
    await writeFile(join(dir, 'rules.yaml'), stringify({ groups }));
    await writeFile(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '2s' },
        rule_files: ['rules.yaml'],
        scrape_configs: [
          { job_name: 'lab', file_sd_configs: [{ files: ['targets.json'], refresh_interval: '1s' }] },
        ],
      }),
    );
    await lab.setTargets(targets);
    const port = await freePort();
    lab.url = `http://127.0.0.1:${port}`;
    lab.#child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=2h',
      ],
      { stdio: 'ignore', detached: true },
    );
    const killOnExit = () => lab.#child?.kill('SIGKILL');
    process.once('exit', killOnExit);
    for (let i = 0; i < 150; i += 1) {
      if (lab.#child.exitCode !== null) throw new Error(`prometheus exited with code ${lab.#child.exitCode}`);
      const ready = await fetch(`${lab.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return lab;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    lab.#child.kill('SIGKILL');
    throw new Error('prometheus not ready after 15 s');
  }

  /** Replaces the scrape targets (file service discovery; Prometheus picks it up within 1 s). */
  async setTargets(targets: readonly ScrapeTarget[]): Promise<void> {
    const sd = targets.map((t) => ({
      targets: [t.address],
      labels: {
        job: t.service,
        namespace: t.namespace,
        service: t.service,
        endpoint: 'metrics',
        pod: `${t.service}-${t.track}`,
      },
    }));
    const tmp = join(this.#dir, 'targets.json.tmp');
    await writeFile(tmp, JSON.stringify(sd, null, 2));
    await rename(tmp, join(this.#dir, 'targets.json'));
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
