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
import { deletePrImages, guardForkPush, syncLabels, upsertComment } from './pr-actions.ts';
import { prCommentBody } from './pr-comment.ts';
import { type MergedPullRequest, releaseNotes } from './release-notes.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const COMMANDS = [
  'platform',
  'changed-services',
  'image-tag',
  'set-image-tag',
  'pr-comment',
  'sync-labels',
  'delete-pr-images',
  'fork-guard',
  'release-notes',
  'canary-prs',
  'report-comment',
] as const;

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

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
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
  });
  switch (command) {
    case 'platform': {
      const p = readPlatform(repoRoot);
      output('registry', p.registry);
      output('host', p.hostIntegration);
      output('repository', `${p.githubOwner}/${p.githubRepo}`);
      return;
    }
    case 'changed-services': {
      const files =
        values['files-from'] !== undefined
          ? readFileSync(values['files-from'], 'utf8').split('\n').filter(Boolean)
          : execFileSync(
              'git',
              ['diff', '--name-only', `${required(values, 'base')}...${required(values, 'head')}`],
              { cwd: repoRoot, encoding: 'utf8' },
            )
              .split('\n')
              .filter(Boolean);
      output(
        'services',
        JSON.stringify(changedServices(files, readWorkspaces(repoRoot), loadCatalogue(repoRoot))),
      );
      return;
    }
    case 'image-tag':
      output(
        'tag',
        values.pr !== undefined
          ? canaryTag(values.pr, required(values, 'sha'))
          : releaseTag(required(values, 'tag')),
      );
      return;
    case 'set-image-tag': {
      const file = required(values, 'file');
      writeFileSync(
        file,
        setImageTag(readFileSync(file, 'utf8'), required(values, 'image'), required(values, 'tag')),
      );
      output('file', file);
      return;
    }
    case 'pr-comment': {
      const p = readPlatform(repoRoot);
      const body = prCommentBody({
        pr: Number(required(values, 'pr')),
        tag: required(values, 'tag'),
        services: parseServices(required(values, 'services')),
        host: p.hostIntegration,
      });
      const result = await upsertComment(
        github(env('GITHUB_TOKEN'), process.env.GITHUB_API_URL),
        env('GITHUB_REPOSITORY'),
        Number(values.pr),
        body,
      );
      output('comment', result);
      return;
    }
    case 'canary-prs': {
      // One PR (workflow_dispatch) or every open PR with a canary label.
      if (values.pr !== undefined && values.pr !== '') {
        output('prs', JSON.stringify([Number(values.pr)]));
        return;
      }
      const prs = await canaryPullRequests(
        github(env('GITHUB_TOKEN'), process.env.GITHUB_API_URL),
        env('GITHUB_REPOSITORY'),
        loadCatalogue(repoRoot).map((s) => s.label),
      );
      output('prs', JSON.stringify(prs));
      return;
    }
    case 'report-comment': {
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
      const result = await upsertComment(
        github(env('GITHUB_TOKEN'), process.env.GITHUB_API_URL),
        env('GITHUB_REPOSITORY'),
        pr,
        decision.body,
        REPORT_MARKER,
      );
      output('comment', result);
      return;
    }
    case 'sync-labels': {
      const result = await syncLabels(
        github(env('GITHUB_TOKEN'), process.env.GITHUB_API_URL),
        env('GITHUB_REPOSITORY'),
        Number(required(values, 'pr')),
        parseServices(required(values, 'services')),
        loadCatalogue(repoRoot),
      );
      output('labels', JSON.stringify(result));
      return;
    }
    case 'delete-pr-images': {
      const [owner = '', repo = ''] = env('GITHUB_REPOSITORY').split('/');
      const packages = loadCatalogue(repoRoot).map((s) => imageName(`${repo}`, s.image));
      const ownerType = values['owner-type'] === 'users' ? 'users' : 'orgs';
      const deleted = await deletePrImages(
        github(env('GITHUB_TOKEN'), process.env.GITHUB_API_URL),
        owner,
        ownerType,
        packages,
        Number(required(values, 'pr')),
      );
      output('deleted', JSON.stringify(deleted));
      return;
    }
    case 'fork-guard': {
      const result = await guardForkPush(
        github(env('GITHUB_TOKEN'), process.env.GITHUB_API_URL),
        env('GITHUB_REPOSITORY'),
        Number(required(values, 'pr')),
        required(values, 'sha'),
      );
      output('removed', JSON.stringify(result.removed));
      return;
    }
    case 'release-notes': {
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
      const gh = github(env('GITHUB_TOKEN'), process.env.GITHUB_API_URL);
      const found = await gh.request<{
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
      const prs: MergedPullRequest[] = (found?.items ?? []).map((i) => ({
        number: i.number,
        title: i.title,
        author: i.user.login,
        labels: i.labels.map((l) => l.name),
        mergedAt: i.pull_request?.merged_at ?? '',
      }));
      output('notes', releaseNotes(tag, previous, prs, repo));
      return;
    }
    default:
      throw new Error(`unknown command ${command ?? '(none)'}; commands: ${COMMANDS.join(', ')}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`delivery: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
