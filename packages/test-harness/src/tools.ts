import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Checks that an external tool works. Returns false when it does; otherwise a skip
 * reason naming the Debian packages to install. Under CI=true a missing tool is an
 * error, never a skip: CI installs what the tests need.
 */
export async function requireTool(
  command: string,
  args: string[],
  debianPackages: string,
): Promise<false | string> {
  try {
    await run(command, args, { timeout: 30_000 });
    return false;
  } catch (err) {
    const reason = `${command} is not usable (${(err as Error).message.split('\n')[0]}); install: apt-get install ${debianPackages}`;
    if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
    return reason;
  }
}
