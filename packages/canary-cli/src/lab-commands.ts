import { labClient } from 'local-runtime/lab';
import { printStatus } from './lab-up.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

export async function labAdd(
  repoRoot: string,
  pr: number,
  options: { services?: string[]; ref?: string; isolatedData?: boolean; env?: Record<string, string> },
): Promise<number> {
  const client = await labClient(repoRoot);
  const added = (await client.add(pr, options, (line) => say(`lab: ${line}`))) as {
    services: string[];
    sha: string;
  };
  say(
    `PR ${pr} is up (${added.services.join(', ')} at ${added.sha.slice(0, 8)}). Send X-Canary: ${pr} to ${`http://localhost:${client.info.entrypoints.internal}`}.`,
  );
  return 0;
}

export async function labRm(repoRoot: string, pr: number): Promise<number> {
  const client = await labClient(repoRoot);
  await client.remove(pr, (line) => say(`lab: ${line}`));
  return 0;
}

export async function labStatus(repoRoot: string, json: boolean): Promise<number> {
  const client = await labClient(repoRoot);
  const status = await client.status();
  if (json) say(JSON.stringify(status, null, 2));
  else printStatus(status);
  return 0;
}

export async function labRestart(repoRoot: string, service: string, pr: number | undefined): Promise<number> {
  const client = await labClient(repoRoot);
  await client.restart(service, pr, (line) => say(`lab: ${line}`));
  say(`${service}${pr === undefined ? ' (stable)' : ` (PR ${pr})`} restarted`);
  return 0;
}
