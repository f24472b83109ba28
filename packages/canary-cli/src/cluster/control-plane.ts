import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ensureTool, freePort } from 'upstream-tools';
import { KubeApi } from './kube-api.ts';
import { waitFor } from './wait.ts';

/**
 * A Kubernetes control plane on loopback, from the upstream programs built into .tools/:
 * etcd (data on tmpfs), kube-apiserver with RBAC and the admission plugins a real cluster
 * runs, and kube-controller-manager with the controllers whose work verify reads (no
 * scheduler, no kubelet: pods are created and admitted, never run).
 */
export interface ControlPlane {
  readonly server: string;
  readonly token: string;
  /** The apiserver's own serving certificate chain (self-signed CA included). */
  readonly caFile: string;
  readonly kubeconfig: string;
  readonly versions: Readonly<Record<string, string>>;
  /** True when it was already running and this process only attached to it. */
  readonly reused: boolean;
  /** Stops the processes and removes etcd's data (a reused plane is left running unless `force`). */
  stop(force?: boolean): Promise<void>;
}

/** The admission plugins enabled beyond the defaults' order, named so the docs can quote them. */
export const ADMISSION_PLUGINS = [
  'NamespaceLifecycle',
  'ServiceAccount',
  'LimitRanger',
  'ResourceQuota',
  'PodSecurity',
  'DefaultTolerationSeconds',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
] as const;

/** The controllers kube-controller-manager runs: the ones whose outcome verify reports. */
export const CONTROLLERS = [
  'namespace-controller',
  'garbage-collector-controller',
  'deployment-controller',
  'replicaset-controller',
  'endpointslice-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'resourcequota-controller',
] as const;

interface State {
  readonly pids: number[];
  readonly server: string;
  readonly token: string;
  readonly caFile: string;
  readonly kubeconfig: string;
  readonly etcdData: string;
  readonly versions: Record<string, string>;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A client for a control plane's kubeconfig (its CA file may not exist yet: requests then fail). */
function clientOf(kubeconfig: string): KubeApi {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return new KubeApi(config);
}

/** `GET path` answers 200 within 2 s. */
const answers = async (api: KubeApi, path: string): Promise<boolean> =>
  (await api.request('GET', path, undefined, undefined, 2_000)).status === 200;

/** Waits for a component, or fails with the last lines of its logs. */
async function ready(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  logs: string[],
): Promise<void> {
  if (await waitFor(check, timeoutMs, 200)) return;
  const tails = logs
    .filter((f) => existsSync(f))
    .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-12).join('\n')}`);
  throw new Error(`cluster: ${what} did not become ready in ${timeoutMs / 1000} s\n${tails.join('\n')}`);
}

export function launch(binary: string, args: string[], log: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(binary, args, {
    stdio: ['ignore', fd, fd],
    detached: true,
    ...(env === undefined ? {} : { env }),
  });
  child.unref();
  return child;
}

async function readState(stateFile: string): Promise<State | undefined> {
  if (!existsSync(stateFile)) return undefined;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
  if (!state.pids.every(alive)) return undefined;
  return (await answers(clientOf(state.kubeconfig), '/readyz').catch(() => false)) ? state : undefined;
}

async function stopPids(pids: readonly number[], etcdData: string): Promise<void> {
  for (const pid of [...pids].reverse()) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  // Nothing here needs a graceful shutdown (etcd's data is thrown away): a short grace, then kill.
  const deadline = Date.now() + 2_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids.filter(alive)) process.kill(-pid, 'SIGKILL');
  await rm(etcdData, { recursive: true, force: true });
}

export interface StartOptions {
  /** Where certificates, the kubeconfig, logs and the state file live. */
  readonly dir: string;
  readonly progress?: (line: string) => void;
}

/**
 * Starts the control plane, or attaches to the one recorded in `dir` when it still
 * answers. Certificates: the apiserver makes its own self-signed serving chain; service
 * account tokens are signed with a key made here; clients use a static admin token.
 */
export async function startControlPlane(options: StartOptions): Promise<ControlPlane> {
  // The ports are picked free, then bound by the programs: on a busy machine another process
  // can take one in between. That start fails with "address already in use"; try new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
      options.progress?.(
        `a port was taken while starting (attempt ${attempt} of 3); starting again on new ports`,
      );
    }
  }
}

async function startOnce(options: StartOptions): Promise<ControlPlane> {
  const progress = options.progress ?? (() => {});
  const dir = options.dir;
  const stateFile = join(dir, 'state.json');
  const existing = await readState(stateFile);
  if (existing !== undefined) {
    progress(`control plane already running at ${existing.server}: reusing it`);
    return {
      ...existing,
      reused: true,
      stop: async (force = false) => {
        if (force) {
          await stopPids(existing.pids, existing.etcdData);
          await rm(stateFile, { force: true });
        }
      },
    };
  }
  const [etcd, apiserver, kcm] = [
    await ensureTool('etcd'),
    await ensureTool('kube-apiserver'),
    await ensureTool('kube-controller-manager'),
  ];
  await mkdir(dir, { recursive: true });
  const certs = join(dir, 'certs');
  await mkdir(certs, { recursive: true });
  const shm = existsSync('/dev/shm') ? '/dev/shm' : dir;
  const etcdData = join(shm, `canary-etcd-${randomBytes(4).toString('hex')}`);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString('hex');
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKey = join(certs, 'sa.key');
  const saPub = join(certs, 'sa.pub');
  await writeFile(saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  const tokens = join(certs, 'tokens.csv');
  await writeFile(tokens, `${token},canary-admin,canary-admin,"system:masters"\n`, { mode: 0o600 });
  const logs = {
    etcd: join(dir, 'etcd.log'),
    apiserver: join(dir, 'kube-apiserver.log'),
    kcm: join(dir, 'kube-controller-manager.log'),
  };
  for (const f of Object.values(logs)) await writeFile(f, '');

  const started = Date.now();
  progress(
    `starting etcd ${etcd.version} (data on ${shm}), kube-apiserver and kube-controller-manager ${apiserver.version} on 127.0.0.1 ...`,
  );
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const children: ChildProcess[] = [];
  const pids = (): number[] => children.map((c) => c.pid ?? 0).filter((p) => p > 0);
  try {
    children.push(
      launch(
        etcd.path,
        [
          '--name=canary',
          `--data-dir=${etcdData}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=canary=${peerUrl}`,
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        logs.etcd,
      ),
    );
    const server = `https://127.0.0.1:${apiPort}`;
    const apiChild = launch(
      apiserver.path,
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${certs}`,
        `--token-auth-file=${tokens}`,
        '--authorization-mode=RBAC',
        `--enable-admission-plugins=${ADMISSION_PLUGINS.join(',')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        // Cluster-internal Service addresses the apiserver allocates (never dialled here).
        '--service-cluster-ip-range=10.96.0.0/16',
        // No kubelet or node: the `kubernetes` Service's endpoints are not reconciled.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
      ],
      logs.apiserver,
    );
    children.push(apiChild);
    // The apiserver writes its self-signed serving chain into --cert-dir as it starts.
    const caFile = join(certs, 'apiserver.crt');
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: canary-verify\n  cluster:\n    server: ${server}\n    certificate-authority: ${caFile}`,
        'users:',
        `- name: canary-admin\n  user:\n    token: ${token}`,
        'contexts:',
        '- name: canary-verify\n  context:\n    cluster: canary-verify\n    user: canary-admin',
        'current-context: canary-verify',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const api = clientOf(kubeconfig);
    // An apiserver that exits (a port taken meanwhile) ends the wait at once.
    await ready(
      'kube-apiserver',
      async () => apiChild.exitCode !== null || (existsSync(caFile) && (await answers(api, '/readyz'))),
      90_000,
      [logs.etcd, logs.apiserver],
    );
    if (apiChild.exitCode !== null)
      throw new Error(
        `cluster: kube-apiserver exited with ${apiChild.exitCode}\n--- ${logs.apiserver}\n${readFileSync(logs.apiserver, 'utf8').split('\n').slice(-12).join('\n')}`,
      );
    children.push(
      launch(
        kcm.path,
        [
          `--kubeconfig=${kubeconfig}`,
          `--controllers=${CONTROLLERS.join(',')}`,
          `--service-account-private-key-file=${saKey}`,
          `--root-ca-file=${caFile}`,
          '--use-service-account-credentials=false',
          '--leader-elect=false',
          '--secure-port=0',
          '--concurrent-namespace-syncs=10',
          '--concurrent-gc-syncs=40',
        ],
        logs.kcm,
      ),
    );
    // The controllers are up once the serviceaccount controller has made `default` in a namespace.
    await ready(
      'kube-controller-manager',
      () => answers(api, '/api/v1/namespaces/default/serviceaccounts/default'),
      60_000,
      [logs.kcm],
    );
    const versions = {
      etcd: etcd.version,
      'kube-apiserver': apiserver.version,
      'kube-controller-manager': kcm.version,
    };
    const state: State = { pids: pids(), server, token, caFile, kubeconfig, etcdData, versions };
    await writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    progress(
      `control plane ready at ${server} in ${((Date.now() - started) / 1000).toFixed(1)} s (logs in ${dir})`,
    );
    return {
      server,
      token,
      caFile,
      kubeconfig,
      versions,
      reused: false,
      stop: async () => {
        await stopPids(state.pids, etcdData);
        await rm(stateFile, { force: true });
      },
    };
  } catch (err) {
    await stopPids(pids(), etcdData);
    throw err;
  }
}
