// `canary explain`'s words: which route decided each hop, for routes rendered from the
// manifests (stable, PR 123 with api and store, PR 7 with store only). The routers run
// without services: explain reads their routes, not the answers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Explanation, PlatformObject } from 'local-runtime/lab';
import { Routers } from 'local-runtime/routing';
import { loadCatalogue } from 'service-catalogue';
import { type ExplainFacts, explanationLines } from '../src/explain-command.ts';
import { manifestRoutes } from '../src/lab-routes.ts';
import { repoRoot } from './fixture-repo.ts';
import { kubectlMissing } from './kubectl.ts';

describe('explain says which route decided each hop', { skip: kubectlMissing }, () => {
  let routers: Routers;
  const explain = (entryPoint: string, headers: Record<string, string>, host = 'localhost') =>
    routers.explain({ entryPoint, host, path: '/v1/items', headers });
  const facts = (why: Explanation, extra: Partial<ExplainFacts> = {}): ExplainFacts => ({
    status: 200,
    key: undefined,
    echo: null,
    keyError: null,
    hops: ['api-service@stable (dev)', 'store-service@stable (dev)'],
    entryPoint: 'internal',
    why,
    running: ['7', '123'],
    lab: true,
    ...extra,
  });

  before(async () => {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const stable = await manifestRoutes.stable(repoRoot);
    const objects: PlatformObject[] = [
      ...stable.objects,
      ...(await manifestRoutes.pullRequest(repoRoot, repoRoot, 7, sha, ['store-service'])),
      ...(await manifestRoutes.pullRequest(repoRoot, repoRoot, 123, sha, ['api-service', 'store-service'])),
    ];
    routers = new Routers(loadCatalogue(repoRoot), () => ({ kind: 'down', reason: 'not started' }));
    await routers.listenMesh(objects);
    await routers.listenEdge(objects, { internal: 0, websecure: 0 }, stable.host);
  });
  after(async () => {
    await routers?.closeEdge();
    await routers?.closeMesh();
  });

  it('without a key: "no canary route matched: stable" at every hop, and no PR route named', () => {
    const lines = explanationLines(facts(explain('internal', {})));
    const text = lines.join('\n');
    assert.match(
      text,
      /edge: no canary route matched: stable\. Decided by IngressRoute apps\/api-service-internal/,
    );
    assert.match(
      text,
      /mesh: the call to store-service: no canary route matched: stable \(store-service\.apps\)/,
    );
    assert.doesNotMatch(text, /pr-7|pr-123|PR 7|PR 123/, 'stable calls are not attributed to a PR route');
    assert.match(text, /the lab's edge: the lab's emulation of Traefik/);
  });

  it('an unrelated key (PR 123 runs no route for it at the mesh, PR 7 does not match): stable calls name no PR route', () => {
    const text = explanationLines(facts(explain('internal', { 'x-canary': '999' }), { key: '999' })).join(
      '\n',
    );
    assert.match(text, /no canary for PR 999 in the lab: every hop stable/);
    assert.doesNotMatch(text, /pr-7|PR 7/);
  });

  it("a PR's key: the canary route that decided is named, with its PR", () => {
    const at123 = explanationLines(
      facts(explain('internal', { 'x-canary': '123' }), {
        key: '123',
        echo: '123',
        hops: ['api-service@pr-123 (sha 1a2b3c4)', 'store-service@pr-123 (sha 1a2b3c4)'],
      }),
    ).join('\n');
    assert.match(
      at123,
      /edge: PR 123's canary route decided: IngressRoute apps\/api-service-canary-pr-123 routes\[0\]/,
    );
    assert.match(at123, /→ PR 123's canary \(api-service\.api-canary-pr-123\)/);
    assert.match(at123, /it outranks IngressRoute apps\/api-service-internal routes\[0\]/);
    assert.match(
      at123,
      /mesh: the call to store-service matched PR 123's canary route: GRPCRoute apps\/store-service-canary-pr-123 rules\[0\]/,
    );
    // PR 7 runs only the store: stable api, then PR 7's store.
    const at7 = explanationLines(facts(explain('internal', { 'x-canary': '7' }), { key: '7' })).join('\n');
    assert.match(at7, /edge: no canary route matched: stable/);
    assert.match(
      at7,
      /matched PR 7's canary route: GRPCRoute apps\/store-service-canary-pr-7 rules\[0\] → PR 7's canary/,
    );
  });

  it('the public entrypoint: a 200 without X-Served-By is routed, never "reached no service"', () => {
    const why = explain('websecure', { 'x-canary': '123' });
    const text = explanationLines(facts(why, { entryPoint: 'websecure', key: '123', hops: [] })).join('\n');
    assert.doesNotMatch(text, /reached no service/);
    assert.match(text, /entrypoint websecure: public/);
    assert.match(text, /X-Canary: 123 was removed at the edge: every hop is stable/);
    assert.match(
      text,
      /the answer carries no X-Served-By \(this entrypoint removes it\); the lab routed it so:/,
    );
    assert.match(text, /hop 1\n\s+edge: no canary route matched: stable/);
    assert.match(text, /hop 2\n\s+mesh: the call to store-service: no canary route matched: stable/);
  });

  it('a request no edge route takes says the edge answered it itself', () => {
    const why = explain('internal', {}, 'unknown.example');
    assert.equal(why.edge, null);
    const text = explanationLines(facts(why, { status: 404, hops: [] })).join('\n');
    assert.match(text, /no edge route matches this request: the edge answered it itself/);
  });

  it('outside the lab, a 200 without X-Served-By is not called unreached', () => {
    const text = explanationLines({
      status: 200,
      key: undefined,
      echo: null,
      keyError: null,
      hops: [],
      entryPoint: undefined,
      why: undefined,
      running: [],
      lab: false,
    }).join('\n');
    assert.doesNotMatch(text, /reached no service/);
    assert.match(text, /a public entrypoint removes it/);
  });
});
