// What Argo CD would create for a PR, pinned object by object.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { RenderedApplication } from '../src/gitops/argo.ts';
import { type K8sObject, describe as name } from '../src/gitops/objects.ts';
import { renderEnvironment, renderPullRequest } from '../src/gitops/render.ts';
import { kubectlMissing } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cli = fileURLToPath(new URL('../bin/canary.js', import.meta.url));
const SHA = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';

const find = (app: RenderedApplication | undefined, kind: string) =>
  app?.objects.find(({ object }) => object.kind === kind)?.object as K8sObject & Record<string, never>;
const envOf = (deployment: K8sObject) =>
  Object.fromEntries(
    (
      deployment as unknown as {
        spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } };
      }
    ).spec.template.spec.containers[0]?.env.map((e) => [e.name, e.value]) ?? [],
  );
const imageOf = (deployment: K8sObject) =>
  (deployment as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec
    .template.spec.containers[0]?.image;

describe('canary render', { skip: kubectlMissing }, () => {
  let pr123: RenderedApplication[];
  let pr7: RenderedApplication[];

  before(async () => {
    const env = await renderEnvironment(repoRoot, 'integration-001');
    pr123 = await renderPullRequest(repoRoot, env, {
      number: 123,
      headSha: SHA,
      labels: ['canary:api-service', 'canary:store-service', 'bug'],
    });
    pr7 = await renderPullRequest(repoRoot, env, {
      number: 7,
      headSha: SHA,
      labels: ['canary:store-service'],
    });
  });

  it('PR 123 with both labels: one Application per service, each with exactly these objects', () => {
    assert.deepEqual(
      pr123.map((a) => [
        a.application.metadata.name,
        a.destinationNamespace,
        a.application.spec && (a.application.spec as { project: string }).project,
      ]),
      [
        ['api-service-pr-123', 'api-canary-pr-123', 'canary-deployments'],
        ['store-service-pr-123', 'store-canary-pr-123', 'canary-deployments'],
      ],
    );
    const names = (app: RenderedApplication | undefined) =>
      app?.objects.map(({ object }) => name(object)).sort();
    assert.deepEqual(names(pr123[0]), [
      'Deployment api-canary-pr-123/api-service',
      'HorizontalPodAutoscaler api-canary-pr-123/api-service',
      'IngressRoute apps/api-service-canary-pr-123',
      'LimitRange api-canary-pr-123/canary-limits',
      'Namespace api-canary-pr-123',
      'NetworkPolicy api-canary-pr-123/canary-ingress',
      'PodDisruptionBudget api-canary-pr-123/api-service',
      'ResourceQuota api-canary-pr-123/canary-quota',
      'Service api-canary-pr-123/api-service',
      'ServiceAccount api-canary-pr-123/api-service',
      'ServiceMonitor api-canary-pr-123/api-service',
    ]);
    assert.deepEqual(names(pr123[1]), [
      'Deployment store-canary-pr-123/store-service',
      'GRPCRoute apps/store-service-canary-pr-123',
      'HorizontalPodAutoscaler store-canary-pr-123/store-service',
      'LimitRange store-canary-pr-123/canary-limits',
      'Namespace store-canary-pr-123',
      'NetworkPolicy store-canary-pr-123/canary-ingress',
      'PodDisruptionBudget store-canary-pr-123/store-service',
      'ReferenceGrant store-canary-pr-123/allow-grpcroutes-from-apps',
      'ResourceQuota store-canary-pr-123/canary-quota',
      'Service store-canary-pr-123/store-service',
      'ServiceAccount store-canary-pr-123/store-service',
      'ServiceMonitor store-canary-pr-123/store-service',
    ]);
  });

  it('PR 123: images tagged pr-123-<head_short_sha>, track pr-123, header 123, priority above stable', () => {
    const [api, store] = pr123;
    for (const [app, image] of [
      [api, 'ghcr.io/example-org/pr-canary/api-service:pr-123-1a2b3c4d'],
      [store, 'ghcr.io/example-org/pr-canary/store-service:pr-123-1a2b3c4d'],
    ] as const) {
      const deployment = find(app, 'Deployment');
      assert.equal(imageOf(deployment), image);
      assert.equal(envOf(deployment).DEPLOYMENT_TRACK, 'pr-123');
      assert.equal(envOf(deployment).APP_VERSION, 'pr-123-1a2b3c4d');
      assert.equal(
        (find(app, 'HorizontalPodAutoscaler') as unknown as { spec: { minReplicas: number } }).spec
          .minReplicas,
        1,
      );
      const ns = find(app, 'Namespace');
      assert.equal(ns.metadata.labels?.['canary.pr-canary.dev/pr'], '123');
      assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
      assert.equal(ns.metadata.annotations?.['linkerd.io/inject'], 'enabled');
      assert.equal(ns.metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-1');
    }
    const route = find(api, 'IngressRoute') as unknown as {
      spec: {
        entryPoints: string[];
        routes: Array<{
          match: string;
          priority: number;
          services: Array<{ name: string; namespace: string }>;
        }>;
      };
    };
    assert.deepEqual(route.spec.entryPoints, ['internal']);
    assert.equal(route.spec.routes[0]?.match, 'Host(`api.int-001.example.com`) && Header(`X-Canary`, `123`)');
    assert.equal(route.spec.routes[0]?.priority, 1000);
    assert.deepEqual(route.spec.routes[0]?.services[0], {
      name: 'api-service',
      namespace: 'api-canary-pr-123',
      port: 'http',
    });
    const grpc = find(store, 'GRPCRoute') as unknown as {
      spec: { rules: Array<{ matches?: unknown[]; backendRefs: unknown[] }> };
    };
    assert.deepEqual(grpc.spec.rules[0]?.matches, [
      {
        method: { type: 'Exact', service: 'store.v1.StoreService' },
        headers: [{ type: 'Exact', name: 'x-canary', value: '123' }],
      },
    ]);
    assert.deepEqual(grpc.spec.rules[0]?.backendRefs, [
      { name: 'store-service', namespace: 'store-canary-pr-123', port: 8080 },
    ]);
    assert.deepEqual(grpc.spec.rules[1], {
      backendRefs: [{ name: 'store-service', namespace: 'apps', port: 8080 }],
    });
    const policy = find(store, 'NetworkPolicy') as unknown as {
      spec: {
        ingress: Array<{ from: Array<{ namespaceSelector: { matchLabels?: Record<string, string> } }> }>;
      };
    };
    assert.equal(
      policy.spec.ingress[0]?.from[1]?.namespaceSelector.matchLabels?.['canary.pr-canary.dev/pr'],
      '123',
    );
  });

  it('PR 7 with only the store label: a store canary and nothing for the api', () => {
    assert.deepEqual(
      pr7.map((a) => a.application.metadata.name),
      ['store-service-pr-7'],
    );
    const grpc = find(pr7[0], 'GRPCRoute') as unknown as {
      metadata: { name: string };
      spec: { rules: Array<{ matches?: Array<{ headers: Array<{ value: string }> }> }> };
    };
    assert.equal(grpc.metadata.name, 'store-service-canary-pr-7');
    assert.equal(grpc.spec.rules[0]?.matches?.[0]?.headers[0]?.value, '7');
    assert.equal(
      imageOf(find(pr7[0], 'Deployment')),
      'ghcr.io/example-org/pr-canary/store-service:pr-7-1a2b3c4d',
    );
  });

  it('names the source file of every object', () => {
    const files = Object.fromEntries(pr123[1]?.objects.map(({ object, file }) => [object.kind, file]) ?? []);
    assert.equal(files.GRPCRoute, 'manifests-microservices/components/canary-store-route/grpcroute.yaml');
    assert.equal(files.Deployment, 'manifests-microservices/kustomize/store-service/base/deployment.yaml');
    assert.equal(
      pr123[1]?.file,
      'manifests-microservices/applications/integration-001/applicationset-store-service-pr.yaml',
    );
  });

  it('the CLI writes one file per Application with --out, and refuses a bad PR number', async () => {
    const out = await mkdtemp(join(tmpdir(), 'render-'));
    try {
      await promisify(execFile)(process.execPath, [
        cli,
        'render',
        '--pr',
        '123',
        '--head-sha',
        SHA,
        '--out',
        out,
      ]);
      assert.deepEqual((await readdir(out)).sort(), ['api-service-pr-123.yaml', 'store-service-pr-123.yaml']);
      const docs = parseAllDocuments(await readFile(join(out, 'store-service-pr-123.yaml'), 'utf8')).map(
        (d) => d.toJS() as K8sObject,
      );
      assert.equal(docs[0]?.kind, 'Application');
      assert.equal(docs.length, 13);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    await assert.rejects(
      promisify(execFile)(process.execPath, [cli, 'render', '--pr', 'pr-1']),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 2);
        assert.match(err.stderr, /--pr: expected a PR number/);
        return true;
      },
    );
  });
});
