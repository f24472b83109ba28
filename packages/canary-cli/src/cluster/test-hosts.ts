import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ECHO = fileURLToPath(new URL('./edge-echo.ts', import.meta.url));
/** The port every echo backend listens on inside the namespace (HTTP/1.1). */
export const ECHO_PORT = 8080;
/** ... and for Service ports whose appProtocol is kubernetes.io/h2c (gRPC). */
export const ECHO_H2C_PORT = 8082;
const PREFIX = 'canary-edge-';

/**
 * Hosts for the edge probes: a network namespace this process creates, joined to the host by
 * a veth pair, holding one echo server that answers on as many addresses as there are
 * Services to stand in for. The API server refuses loopback addresses in EndpointSlices, so
 * backends cannot live on 127.0.0.1; these addresses exist only inside the namespace and on
 * its link, and nothing else is ever a target.
 */
export interface TestHosts {
  readonly namespace: string;
  /** Gives the next free address in the namespace (added to its interface). */
  allocate(): Promise<string>;
  close(): Promise<void>;
}

export class TestHostsUnavailable extends Error {}

const ip = (...args: string[]) => run('ip', args, { timeout: 10_000 });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Why test hosts cannot be made here, or undefined when they can. */
export async function testHostsUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0)
    return 'creating a network namespace needs root (run as root, or in CI, which does)';
  try {
    await ip('netns', 'list');
    return undefined;
  } catch (err) {
    return `the ip command (iproute2) is needed for network namespaces: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** Removes namespaces left by earlier runs whose process is gone (a run that was killed). */
async function removeOrphans(): Promise<void> {
  const { stdout } = await ip('netns', 'list');
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const pid = Number(name.slice(PREFIX.length).split('-')[0]);
    if (name.startsWith(PREFIX) && Number.isInteger(pid) && !alive(pid))
      await ip('netns', 'del', name).catch(() => undefined);
  }
}

/**
 * Creates the namespace `canary-edge-<pid>-<index>` on 10.213.<index>.0/24 (the host side is
 * .1) and starts its echo server. `index` keeps concurrent planes of one run apart.
 */
export async function createTestHosts(index: number): Promise<TestHosts> {
  const reason = await testHostsUnavailableReason();
  if (reason !== undefined) throw new TestHostsUnavailable(reason);
  await removeOrphans();
  const namespace = `${PREFIX}${process.pid}-${index}`;
  const tag = `${(process.pid % 100_000).toString(36)}${index}`;
  const hostSide = `cv${tag}h`;
  const inside = `cv${tag}n`;
  const subnet = `10.213.${index}`;
  let echo: ChildProcess | undefined;
  try {
    await ip('netns', 'add', namespace);
    await ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', inside);
    await ip('link', 'set', inside, 'netns', namespace);
    await ip('addr', 'add', `${subnet}.1/24`, 'dev', hostSide);
    await ip('link', 'set', hostSide, 'up');
    await ip('-n', namespace, 'link', 'set', 'lo', 'up');
    // The namespace's own address (.254) gives it the route back to the host side.
    await ip('-n', namespace, 'addr', 'add', `${subnet}.254/24`, 'dev', inside);
    await ip('-n', namespace, 'link', 'set', inside, 'up');
    echo = spawn(
      'ip',
      ['netns', 'exec', namespace, process.execPath, ECHO, String(ECHO_PORT), String(ECHO_H2C_PORT)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const started = echo;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`echo backend did not start in 10 s: ${output}`)),
        10_000,
      );
      const seen = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout?.on('data', seen);
      started.stderr?.on('data', (c: Buffer) => {
        output += c.toString();
      });
      started.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`echo backend exited with ${code}: ${output}`));
      });
    });
  } catch (err) {
    echo?.kill('SIGKILL');
    await ip('netns', 'del', namespace).catch(() => undefined);
    await ip('link', 'del', hostSide).catch(() => undefined);
    throw err;
  }
  let next = 2;
  const running = echo;
  return {
    namespace,
    async allocate() {
      if (next > 253) throw new Error(`test hosts: no address left in ${subnet}.0/24`);
      const address = `${subnet}.${next++}`;
      await ip('-n', namespace, 'addr', 'add', `${address}/32`, 'dev', inside);
      return address;
    },
    async close() {
      running.stdin?.end();
      running.kill('SIGTERM');
      await ip('netns', 'del', namespace).catch(() => undefined);
      await ip('link', 'del', hostSide).catch(() => undefined);
    },
  };
}
