// Entry point the GitHub workflows call: node packages/delivery/src/cli.ts <command> [--flags].
// Values go to stdout and, inside Actions, to $GITHUB_OUTPUT as well.
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCatalogue, readWorkspaces } from 'service-catalogue';
import { canaryPullRequests, parseReport, REPORT_MARKER, reportComment } from './canary-report.ts';
import { changedServices } from './changed-services.ts';
import { github } from './github.ts';
import { canaryTag, imageName, releaseTag } from './image-tag.ts';
import { setImageTag } from './kustomize-images.ts';
import { readPlatform } from './platform.ts';
import { approveFork, deletePrImages, guardForkPush, syncLabels, upsertComment } from './pr-actions.ts';
import { prCommentBody } from './pr-comment.ts';
import { type MergedPullRequest, releaseNotes } from './release-notes.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function output(name: string, value: string): void {
  process.stdout.write(`${value}\n`);
  const file = process.env.GITHUB_OUTPUT;
  if (file !== undefined && file !== '') appendFileSync(file, `${name}<<__EOF__\n${value}\n__EOF__\n`);
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new Error(`--${name} is required`);
  return value;
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
  return value;
}

/** A JSON list of catalogue service names (what changed-services printed). */
const parseServices = (value: string): string[] => {
  let list: unknown;
  try {
    list = JSON.parse(value);
  } catch {
    throw new Error(`--services: not JSON: ${value}`);
  }
  if (!Array.isArray(list)) throw new Error('--services: expected a JSON list of service names');
  const known = loadCatalogue(repoRoot).map((e) => e.name);
  for (const s of list)
    if (typeof s !== 'string' || !known.includes(s))
      throw new Error(`--services: unknown service ${JSON.stringify(s)} (known: ${known.join(', ')})`);
  return list as string[];
};

const parse = (args: string[]) =>
  parseArgs({
    args,
    strict: true,
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      'files-from': { type: 'string' },
      pr: { type: 'string' },
      sha: { type: 'string' },
      tag: { type: 'string' },
      previous: { type: 'string' },
      file: { type: 'string' },
      image: { type: 'string' },
      services: { type: 'string' },
      markdown: { type: 'string' },
      'min-requests': { type: 'string', default: '200' },
      'owner-type': { type: 'string', default: 'orgs' },
    },
  }).values;
type Values = ReturnType<typeof parse>;

/** The GitHub API with the workflow's token. */
const gitHub = () => github(env('GITHUB_TOKEN'), process.env.GITHUB_API_URL);

function platform(): void {
  const p = readPlatform(repoRoot);
  output('registry', p.registry);
  output('host', p.hostIntegration);
  output('repository', `${p.githubOwner}/${p.githubRepo}`);
}

/** The files a change touched: a list in a file, or git's diff of base...head. */
function changedFiles(values: Values): string[] {
  const list =
    values['files-from'] !== undefined
      ? readFileSync(values['files-from'], 'utf8')
      : execFileSync(
          'git',
          ['diff', '--name-only', `${required(values, 'base')}...${required(values, 'head')}`],
          {
            cwd: repoRoot,
            encoding: 'utf8',
          },
        );
  return list.split('\n').filter(Boolean);
}

function changedServicesCommand(values: Values): void {
  const services = changedServices(changedFiles(values), readWorkspaces(repoRoot), loadCatalogue(repoRoot));
  output('services', JSON.stringify(services));
}

function imageTag(values: Values): void {
  output(
    'tag',
    values.pr !== undefined
      ? canaryTag(values.pr, required(values, 'sha'))
      : releaseTag(required(values, 'tag')),
  );
}

function setImageTagCommand(values: Values): void {
  const file = required(values, 'file');
  writeFileSync(
    file,
    setImageTag(readFileSync(file, 'utf8'), required(values, 'image'), required(values, 'tag')),
  );
  output('file', file);
}

async function prComment(values: Values): Promise<void> {
  const p = readPlatform(repoRoot);
  const body = prCommentBody({
    pr: Number(required(values, 'pr')),
    tag: required(values, 'tag'),
    services: parseServices(required(values, 'services')),
    host: p.hostIntegration,
    internalUrl: p.internalUrl,
  });
  output('comment', await upsertComment(gitHub(), env('GITHUB_REPOSITORY'), Number(values.pr), body));
}

async function syncLabelsCommand(values: Values): Promise<void> {
  const result = await syncLabels(
    gitHub(),
    env('GITHUB_REPOSITORY'),
    Number(required(values, 'pr')),
    parseServices(required(values, 'services')),
    loadCatalogue(repoRoot),
  );
  output('labels', JSON.stringify(result));
}

async function deletePrImagesCommand(values: Values): Promise<void> {
  const [owner = '', repo = ''] = env('GITHUB_REPOSITORY').split('/');
  const packages = loadCatalogue(repoRoot).map((s) => imageName(`${repo}`, s.image));
  const ownerType = values['owner-type'] === 'users' ? 'users' : 'orgs';
  const deleted = await deletePrImages(gitHub(), owner, ownerType, packages, Number(required(values, 'pr')));
  output('deleted', JSON.stringify(deleted));
}

async function forkGuard(values: Values): Promise<void> {
  const result = await guardForkPush(
    gitHub(),
    env('GITHUB_REPOSITORY'),
    Number(required(values, 'pr')),
    required(values, 'sha'),
  );
  output('marked', String(result.marked));
  output('held', String(result.held));
}

/** A maintainer's approval of one fork commit (pr-canary-approve, after its images were built). */
async function approveForkCommand(values: Values): Promise<void> {
  const result = await approveFork(
    gitHub(),
    env('GITHUB_REPOSITORY'),
    Number(required(values, 'pr')),
    required(values, 'sha'),
    parseServices(required(values, 'services')),
    loadCatalogue(repoRoot),
  );
  output('approved', result.approved);
}

/** The PRs merged since `since` (an ISO time), from GitHub's search. */
async function mergedSince(repo: string, since: string): Promise<MergedPullRequest[]> {
  const found = await gitHub().request<{
    items: Array<{
      number: number;
      title: string;
      user: { login: string };
      labels: Array<{ name: string }>;
      pull_request?: { merged_at?: string };
    }>;
  }>(
    'GET',
    `/search/issues?q=${encodeURIComponent(`repo:${repo} is:pr is:merged merged:>${since}`)}&per_page=100`,
  );
  return (found?.items ?? []).map((i) => ({
    number: i.number,
    title: i.title,
    author: i.user.login,
    labels: i.labels.map((l) => l.name),
    mergedAt: i.pull_request?.merged_at ?? '',
  }));
}

async function releaseNotesCommand(values: Values): Promise<void> {
  const tag = releaseTag(required(values, 'tag'));
  const previous = values.previous;
  const repo = env('GITHUB_REPOSITORY');
  const since =
    previous === undefined
      ? '1970-01-01T00:00:00Z'
      : execFileSync('git', ['log', '-1', '--format=%cI', previous], {
          cwd: repoRoot,
          encoding: 'utf8',
        }).trim();
  output('notes', releaseNotes(tag, previous, await mergedSince(repo, since), repo));
}

/** One PR (workflow_dispatch) or every open PR with a canary label. */
async function canaryPrs(values: Values): Promise<void> {
  if (values.pr !== undefined && values.pr !== '') {
    output('prs', JSON.stringify([Number(values.pr)]));
    return;
  }
  const labels = loadCatalogue(repoRoot).map((s) => s.label);
  output('prs', JSON.stringify(await canaryPullRequests(gitHub(), env('GITHUB_REPOSITORY'), labels)));
}

async function reportCommentCommand(values: Values): Promise<void> {
  const pr = Number(required(values, 'pr'));
  const minRequests = Number(values['min-requests']);
  if (!Number.isInteger(minRequests) || minRequests < 1)
    throw new Error(`--min-requests: expected a positive whole number, got ${values['min-requests']}`);
  const decision = reportComment(
    parseReport(readFileSync(required(values, 'file'), 'utf8'), pr),
    readFileSync(required(values, 'markdown'), 'utf8'),
    minRequests,
  );
  if (!decision.post) {
    output('comment', `skipped: ${decision.reason}`);
    return;
  }
  output(
    'comment',
    await upsertComment(gitHub(), env('GITHUB_REPOSITORY'), pr, decision.body, REPORT_MARKER),
  );
}

/** Every command the workflows call, by name. */
const commands = {
  platform,
  'changed-services': changedServicesCommand,
  'image-tag': imageTag,
  'set-image-tag': setImageTagCommand,
  'pr-comment': prComment,
  'sync-labels': syncLabelsCommand,
  'delete-pr-images': deletePrImagesCommand,
  'fork-guard': forkGuard,
  'approve-fork': approveForkCommand,
  'release-notes': releaseNotesCommand,
  'canary-prs': canaryPrs,
  'report-comment': reportCommentCommand,
} satisfies Record<string, (values: Values) => void | Promise<void>>;

export const COMMANDS = Object.keys(commands) as ReadonlyArray<keyof typeof commands>;

async function main([command, ...rest]: string[]): Promise<void> {
  const values = parse(rest);
  if (command === undefined || !Object.hasOwn(commands, command))
    throw new Error(`unknown command ${command ?? '(none)'}; commands: ${COMMANDS.join(', ')}`);
  await commands[command as keyof typeof commands](values);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`delivery: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
