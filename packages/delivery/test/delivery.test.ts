import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCatalogue, readWorkspaces, type Workspace } from 'service-catalogue';
import { canaryPullRequests, parseReport, REPORT_MARKER, reportComment } from '../src/canary-report.ts';
import { changedServices } from '../src/changed-services.ts';
import { github } from '../src/github.ts';
import { canaryTag, imageName, releaseTag } from '../src/image-tag.ts';
import { getImageTag, setImageTag } from '../src/kustomize-images.ts';
import {
  approvalLabel,
  approveFork,
  deletePrImages,
  FORK_GUARD_MARKER,
  FORK_LABEL,
  guardForkPush,
  syncLabels,
  upsertComment,
} from '../src/pr-actions.ts';
import { COMMENT_MARKER, prCommentBody } from '../src/pr-comment.ts';
import { releaseNotes } from '../src/release-notes.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('changed-service detection', () => {
  // A fixture graph: a shared lib used by both, one used by the api only, a tool used by none.
  const graph: Workspace[] = [
    {
      name: 'api-service',
      dir: 'api-service',
      dependsOn: ['shared', 'api-only', 'store-contract'],
      devDependsOn: ['test-only'],
    },
    {
      name: 'store-service',
      dir: 'store-service',
      dependsOn: ['shared', 'store-contract'],
      devDependsOn: [],
    },
    { name: 'store-contract', dir: 'packages/store-contract', dependsOn: [], devDependsOn: [] },
    { name: 'shared', dir: 'packages/shared', dependsOn: [], devDependsOn: [] },
    { name: 'api-only', dir: 'packages/api-only', dependsOn: ['deep'], devDependsOn: [] },
    { name: 'deep', dir: 'packages/deep', dependsOn: [], devDependsOn: [] },
    { name: 'tools', dir: 'packages/tools', dependsOn: ['shared'], devDependsOn: [] },
    { name: 'test-only', dir: 'packages/test-only', dependsOn: [], devDependsOn: [] },
  ];
  const services = [
    { name: 'api-service', workspace: 'api-service' },
    { name: 'store-service', workspace: 'store-service' },
  ];
  const cases: Array<[string[], string[]]> = [
    [['api-service/src/app.ts'], ['api-service']],
    [['store-service/src/main.ts'], ['store-service']], // the api depends on the contract, not the store
    [['packages/store-contract/proto/store/v1/store.proto'], ['api-service', 'store-service']],
    [['packages/shared/src/x.ts'], ['api-service', 'store-service']],
    [['packages/deep/src/x.ts'], ['api-service']], // transitively, through api-only
    [['packages/tools/src/x.ts'], []],
    [['docs/lab.md', 'manifests-microservices/x.yaml', '.github/workflows/ci.yml', 'README.md'], []],
    [['package-lock.json'], ['api-service', 'store-service']],
    [['packages/shared-extra/file.ts'], []], // a prefix of a folder name is not that folder
    [['packages/test-only/src/x.ts'], []], // what only tests use is not in any image
  ];
  for (const [files, want] of cases) {
    it(`${files.join(', ')} → ${want.join(', ') || 'nothing'}`, () => {
      assert.deepEqual(changedServices(files, graph, services), want);
    });
  }

  it('reads this repository’s real graph and catalogue: canary-context changes both services, the CLI and the test harness neither', () => {
    const workspaces = readWorkspaces(repoRoot);
    const catalogue = loadCatalogue(repoRoot);
    const changed = (file: string) => changedServices([file], workspaces, catalogue);
    assert.deepEqual(changed('packages/canary-context/src/key.ts'), ['api-service', 'store-service']);
    assert.deepEqual(changed('packages/canary-cli/src/main.ts'), []);
    assert.deepEqual(changed('packages/test-harness/src/http.ts'), []);
    assert.deepEqual(changed('api-service/Dockerfile'), ['api-service']);
    assert.deepEqual(changed('store-service/src/main.ts'), ['store-service']);
    assert.deepEqual(changed('packages/store-contract/proto/store/v1/store.proto'), [
      'api-service',
      'store-service',
    ]);
  });
});

describe('image tags', () => {
  it('tags canaries pr-<N>-<8-char head sha>, as the ApplicationSets render head_short_sha', () => {
    assert.equal(canaryTag(123, '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b'), 'pr-123-1a2b3c4d');
    assert.throws(() => canaryTag('0', '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b'), /not a PR number/);
    assert.throws(() => canaryTag(1, 'abc'), /not a full commit sha/);
    assert.equal(releaseTag('v1.4.0'), 'v1.4.0');
    assert.throws(() => releaseTag('1.4'), /not a release tag/);
    assert.equal(
      imageName('ghcr.io/Example-Org/Repo/', 'api-service'),
      'ghcr.io/example-org/repo/api-service',
    );
  });
});

describe('kustomization images: in-place edit', () => {
  const fixture = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# The release workflow bumps newTag below.
namespace: apps
images:
  # api first
  - name: api-service
    newTag: v0.1.0   # current
  - name: store-service
    newTag: "v0.1.0"
replacements: []
`;
  it('changes only the tag, keeping comments, quotes and order', () => {
    const out = setImageTag(fixture, 'api-service', 'v0.2.0');
    const diff = out.split('\n').filter((line, i) => line !== fixture.split('\n')[i]);
    assert.deepEqual(diff, ['    newTag: v0.2.0   # current']);
    assert.equal(getImageTag(out, 'api-service'), 'v0.2.0');
    assert.equal(getImageTag(out, 'store-service'), 'v0.1.0');
  });

  it('refuses an unknown image or an invalid tag, and is a no-op for the same tag', () => {
    assert.throws(() => setImageTag(fixture, 'web', 'v1'), /no images entry named web/);
    assert.throws(() => setImageTag(fixture, 'api-service', 'v1 bad'), /invalid image tag/);
    assert.equal(setImageTag(fixture, 'api-service', 'v0.1.0'), fixture);
  });

  it('works on the real overlays', () => {
    const file = readFileSync(
      `${repoRoot}manifests-microservices/kustomize/api-service/envs/staging/kustomization.yaml`,
      'utf8',
    );
    const out = setImageTag(file, 'api-service', 'v9.9.9');
    assert.equal(out.split('\n').length, file.split('\n').length);
    assert.equal(getImageTag(out, 'api-service'), 'v9.9.9');
  });
});

describe('release notes', () => {
  it('groups merged PRs by label, oldest first, skipping skip-changelog and bot bumps', () => {
    const notes = releaseNotes(
      'v1.1.0',
      'v1.0.0',
      [
        {
          number: 12,
          title: 'Fix stock race',
          author: 'ana',
          labels: ['bug'],
          mergedAt: '2026-11-02T00:00:00Z',
        },
        {
          number: 10,
          title: 'Add search',
          author: 'bo',
          labels: ['feature'],
          mergedAt: '2026-11-01T00:00:00Z',
        },
        {
          number: 11,
          title: 'Internal tidy',
          author: 'cy',
          labels: ['skip-changelog'],
          mergedAt: '2026-11-01T01:00:00Z',
        },
        {
          number: 13,
          title: 'chore(deps): bump x',
          author: 'dependabot[bot]',
          labels: [],
          mergedAt: '2026-11-03T00:00:00Z',
        },
        { number: 14, title: 'Docs', author: 'dee', labels: [], mergedAt: '2026-11-04T00:00:00Z' },
      ],
      'example-org/pr-canary',
    );
    assert.equal(
      notes,
      [
        '## v1.1.0',
        '',
        '### Features',
        '',
        '- Add search (#10, @bo)',
        '',
        '### Fixes',
        '',
        '- Fix stock race (#12, @ana)',
        '',
        '### Other changes',
        '',
        '- Docs (#14, @dee)',
        '',
        '**Full changelog**: https://github.com/example-org/pr-canary/compare/v1.0.0...v1.1.0',
        '',
      ].join('\n'),
    );
  });
});

describe('PR comment and GitHub calls (against a local fake API)', () => {
  it('the body names the header, a curl example, the lab command and the extension', () => {
    const body = prCommentBody({
      pr: 42,
      tag: 'pr-42-1a2b3c4d',
      services: ['store-service'],
      host: 'api.int.example.com',
      internalUrl: 'https://canary.int.example.com/',
    });
    assert.ok(body.startsWith(COMMENT_MARKER));
    // Through the internal entrypoint (the public host strips the key), with the API host
    // and, for a store-only PR too, the preview hostname.
    assert.match(
      body,
      /curl -s https:\/\/canary\.int\.example\.com\/v1\/items -H 'Host: api\.int\.example\.com' -H 'X-Canary: 42'/,
    );
    assert.match(
      body,
      /curl -s https:\/\/canary\.int\.example\.com\/v1\/items -H 'Host: pr-42\.api\.int\.example\.com'/,
    );
    assert.doesNotMatch(body, /curl -s https:\/\/api\.int\.example\.com/, 'never the public host');
    assert.match(body, /\.\/canary lab add 42 --services store-service/);
    assert.match(body, /extension-canary/);
    assert.match(
      prCommentBody({ pr: 1, tag: 'x', services: [], host: 'h', internalUrl: 'http://i' }),
      /no canary is deployed/,
    );
  });

  async function fakeGitHub(state: {
    labels: string[];
    comments: Array<{ id: number; body: string }>;
    versions: Array<{ id: number; metadata: { container: { tags: string[] } } }>;
    pulls?: Array<{ number: number; draft?: boolean; labels: Array<{ name: string }> }>;
    /** GET /pulls/<N>: the PR's head. */
    pull?: { head: { sha: string; repo: { full_name: string } } };
  }) {
    const calls: string[] = [];
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
      const url = new URL(req.url ?? '/', 'http://x');
      calls.push(`${req.method} ${url.pathname}`);
      assert.equal(req.headers.authorization, 'Bearer t0ken');
      const send = (status: number, value?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(value === undefined ? undefined : JSON.stringify(value));
      };
      if (url.pathname.endsWith('/labels') && req.method === 'GET')
        return send(
          200,
          state.labels.map((name) => ({ name })),
        );
      if (url.pathname.endsWith('/labels') && req.method === 'POST') {
        state.labels.push(...body.labels);
        return send(200, []);
      }
      if (url.pathname.includes('/labels/') && req.method === 'DELETE') {
        state.labels = state.labels.filter(
          (l) => l !== decodeURIComponent(url.pathname.split('/labels/')[1] ?? ''),
        );
        return send(204);
      }
      if (url.pathname.endsWith('/comments') && req.method === 'GET')
        return send(200, url.searchParams.get('page') === '1' ? state.comments : []);
      if (url.pathname.endsWith('/comments') && req.method === 'POST') {
        state.comments.push({ id: 99, body: body.body });
        return send(201, {});
      }
      if (url.pathname.includes('/issues/comments/') && req.method === 'PATCH') {
        const id = Number(url.pathname.split('/').pop());
        for (const c of state.comments) if (c.id === id) c.body = body.body;
        return send(200, {});
      }
      if (url.pathname.endsWith('/pulls') && req.method === 'GET') {
        assert.equal(url.searchParams.get('state'), 'open');
        return send(200, url.searchParams.get('page') === '1' ? (state.pulls ?? []) : []);
      }
      if (/\/pulls\/[0-9]+$/.test(url.pathname) && req.method === 'GET')
        return state.pull === undefined ? send(404) : send(200, state.pull);
      if (url.pathname.endsWith('/versions') && req.method === 'GET')
        return send(200, url.searchParams.get('page') === '1' ? state.versions : []);
      if (url.pathname.includes('/versions/') && req.method === 'DELETE') return send(204);
      return send(404);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const gh = github('t0ken', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return { gh, calls, close: () => server.close() };
  }

  it('labels: adds the changed services, removes the others, keeps unrelated labels', async () => {
    const state = { labels: ['bug', 'canary:api-service'], comments: [], versions: [] };
    const fake = await fakeGitHub(state);
    try {
      assert.deepEqual(
        await syncLabels(
          fake.gh,
          'o/r',
          5,
          ['store-service'],
          [
            { name: 'api-service', label: 'canary:api-service' },
            { name: 'store-service', label: 'canary:store-service' },
          ],
        ),
        {
          add: ['canary:store-service'],
          remove: ['canary:api-service'],
        },
      );
      assert.deepEqual(state.labels.sort(), ['bug', 'canary:store-service']);
    } finally {
      fake.close();
    }
  });

  it('comment: created once, then updated in place on every push', async () => {
    const state = { labels: [], comments: [{ id: 7, body: 'unrelated' }], versions: [] };
    const fake = await fakeGitHub(state);
    try {
      assert.equal(await upsertComment(fake.gh, 'o/r', 5, `${COMMENT_MARKER}\nfirst`), 'created');
      assert.equal(await upsertComment(fake.gh, 'o/r', 5, `${COMMENT_MARKER}\nsecond`), 'updated');
      assert.deepEqual(
        state.comments.map((c) => c.body),
        ['unrelated', `${COMMENT_MARKER}\nsecond`],
      );
    } finally {
      fake.close();
    }
  });

  const report = (verdicts: Array<[string, 'pass' | 'fail' | 'not enough traffic', number]>) => ({
    pr: 5,
    verdicts: verdicts.map(([service, verdict, canaryRequests]) => ({ service, verdict, canaryRequests })),
  });

  it('canary report: posted once every canary served the minimum or one fails, one comment updated in place', async () => {
    const waiting = reportComment(
      report([
        ['api-service', 'pass', 400],
        ['store-service', 'not enough traffic', 30],
      ]),
      '### table',
      200,
    );
    assert.deepEqual(waiting, {
      post: false,
      reason: 'waiting for traffic: store-service served 30 of 200 requests',
    });
    const failing = reportComment(
      report([
        ['api-service', 'fail', 120],
        ['store-service', 'not enough traffic', 30],
      ]),
      '### fail table',
      200,
    );
    assert.equal(failing.post, true, 'a fail is posted without waiting for the minimum');
    assert.equal(reportComment(report([]), 'x', 200).post, false, 'no canary metrics: nothing to say');

    const state = { labels: [], comments: [{ id: 7, body: `${COMMENT_MARKER}\nstatus` }], versions: [] };
    const fake = await fakeGitHub(state);
    try {
      for (const table of ['### first', '### second']) {
        const decision = reportComment(report([['api-service', 'pass', 300]]), table, 200);
        assert.ok(decision.post);
        await upsertComment(fake.gh, 'o/r', 5, decision.body, REPORT_MARKER);
      }
      assert.deepEqual(
        state.comments.map((c) => c.body),
        [`${COMMENT_MARKER}\nstatus`, `${REPORT_MARKER}\n### second\n`],
        'the status comment is left alone; the report comment is created, then updated',
      );
    } finally {
      fake.close();
    }
  });

  it('canary report: the report file must be JSON for this PR with well-formed verdicts', () => {
    assert.equal(parseReport(JSON.stringify(report([['api-service', 'pass', 3]])), 5).verdicts.length, 1);
    assert.throws(() => parseReport('### markdown', 5), /not JSON/);
    assert.throws(() => parseReport(JSON.stringify(report([])), 6), /for PR 5, not PR 6/);
    assert.throws(
      () => parseReport(JSON.stringify({ pr: 5, verdicts: [{ service: 'x', verdict: 'great' }] }), 5),
      /malformed verdict/,
    );
  });

  it('canary report: due for open, non-draft PRs with a canary label, oldest first', async () => {
    const state = {
      labels: [],
      comments: [],
      versions: [],
      pulls: [
        { number: 3, labels: [{ name: 'canary:api-service' }] },
        { number: 4, labels: [{ name: 'bug' }] },
        { number: 8, draft: true, labels: [{ name: 'canary:store-service' }] },
        { number: 9, labels: [{ name: 'canary:store-service' }, { name: 'bug' }] },
      ],
    };
    const fake = await fakeGitHub(state);
    try {
      assert.deepEqual(
        await canaryPullRequests(fake.gh, 'o/r', ['canary:api-service', 'canary:store-service']),
        [3, 9],
      );
    } finally {
      fake.close();
    }
  });

  it('fork guard: marks a fork PR canary:fork; a push after an approval says once that the new head is held', async () => {
    const approved = 'a'.repeat(40);
    const head = 'c0ffee0011223344556677889900aabbccddeeff';
    const state = {
      labels: ['bug', 'canary:store-service', approvalLabel(approved)],
      comments: [] as Array<{ id: number; body: string }>,
      versions: [],
    };
    const fake = await fakeGitHub(state);
    try {
      assert.deepEqual(await guardForkPush(fake.gh, 'o/r', 9, head), { marked: true, held: true });
      // Labels stay: the ApplicationSet renders an unapproved head held, the approved commit keeps running.
      assert.deepEqual(state.labels, ['bug', 'canary:store-service', approvalLabel(approved), FORK_LABEL]);
      assert.equal(state.comments.length, 1);
      assert.ok(state.comments[0]?.body.startsWith(FORK_GUARD_MARKER));
      assert.match(
        state.comments[0]?.body ?? '',
        /runs aaaaaaaa, the commit a maintainer approved; c0ffee00/,
      );
      assert.deepEqual(await guardForkPush(fake.gh, 'o/r', 9, head), { marked: false, held: true });
      assert.equal(state.comments.length, 1, 'one comment, updated');
      // The approved head itself, or a PR never approved: nothing held, nothing said.
      assert.deepEqual(await guardForkPush(fake.gh, 'o/r', 9, approved), { marked: false, held: false });
      const fresh = {
        labels: [] as string[],
        comments: [] as Array<{ id: number; body: string }>,
        versions: [],
      };
      const other = await fakeGitHub(fresh);
      try {
        assert.deepEqual(await guardForkPush(other.gh, 'o/r', 10, head), { marked: true, held: false });
        assert.deepEqual(fresh.labels, [FORK_LABEL]);
        assert.equal(fresh.comments.length, 0);
      } finally {
        other.close();
      }
    } finally {
      fake.close();
    }
  });

  it('approve fork: only the head of a fork PR, with its full sha; one approval label; the changed services labelled', async () => {
    const head = 'c0ffee0011223344556677889900aabbccddeeff';
    const services = [
      { name: 'api-service', label: 'canary:api-service' },
      { name: 'store-service', label: 'canary:store-service' },
    ];
    const state = {
      labels: ['canary:api-service', approvalLabel('b'.repeat(40))],
      comments: [] as Array<{ id: number; body: string }>,
      versions: [],
      pull: { head: { sha: head, repo: { full_name: 'someone/fork' } } },
    };
    const fake = await fakeGitHub(state);
    try {
      await assert.rejects(
        approveFork(fake.gh, 'o/r', 9, 'b'.repeat(40), ['store-service'], services),
        /head is c0ffee00/,
      );
      await assert.rejects(
        approveFork(fake.gh, 'o/r', 9, head.slice(0, 8), ['store-service'], services),
        /full commit sha/,
      );
      assert.deepEqual(
        state.labels,
        ['canary:api-service', approvalLabel('b'.repeat(40))],
        'refusals change nothing',
      );
      const result = await approveFork(fake.gh, 'o/r', 9, head, ['store-service'], services);
      assert.equal(result.approved, head);
      assert.deepEqual(
        [...state.labels].sort(),
        [FORK_LABEL, approvalLabel(head), 'canary:store-service'].sort(),
      );
      assert.ok(approvalLabel(head).length <= 50, "GitHub's label length limit");
      state.pull = { head: { sha: head, repo: { full_name: 'o/r' } } };
      await assert.rejects(
        approveFork(fake.gh, 'o/r', 9, head, ['store-service'], services),
        /not from a fork/,
      );
    } finally {
      fake.close();
    }
  });

  it("close: deletes only versions tagged solely with that PR's tags", async () => {
    const tags = (...t: string[]) => ({ container: { tags: t } });
    const state = {
      labels: [],
      comments: [],
      versions: [
        { id: 1, metadata: tags('pr-5-aaaaaaaa') },
        { id: 2, metadata: tags('pr-5-bbbbbbbb', 'v1.0.0') },
        { id: 3, metadata: tags('pr-50-cccccccc') },
        { id: 4, metadata: tags() },
      ],
    };
    const fake = await fakeGitHub(state);
    try {
      const deleted = await deletePrImages(fake.gh, 'example-org', 'orgs', ['pr-canary/api-service'], 5);
      assert.deepEqual(deleted, ['pr-canary/api-service:pr-5-aaaaaaaa']);
      assert.ok(
        fake.calls.includes('DELETE /orgs/example-org/packages/container/pr-canary%2Fapi-service/versions/1'),
      );
      assert.equal(fake.calls.filter((c) => c.startsWith('DELETE')).length, 1);
    } finally {
      fake.close();
    }
  });
});
