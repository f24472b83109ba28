// What Argo CD would create, pinned object by object: a PR's Applications (from the default
// branch) with the workload Applications inside them (from the PR's head), and the stable
// Applications the catalogue generates.
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
import { at, type K8sObject, describe as name } from '../src/gitops/objects.ts';
import { type EnvironmentRender, renderEnvironment, renderPullRequest } from '../src/gitops/render.ts';
import { kubectlMissing } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cli = fileURLToPath(new URL('../bin/canary.js', import.meta.url));
const SHA = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';

const find = (app: RenderedApplication | undefined, kind: string, named?: string) => {
  const found = app?.objects.find(
    ({ object }) => object.kind === kind && (named === undefined || object.metadata.name === named),
  );
  assert.ok(found, `${kind} ${named ?? ''} in ${app?.application.metadata.name}`);
  return found.object;
};
const names = (app: RenderedApplication | undefined) => app?.objects.map(({ object }) => name(object)).sort();
const container = (deployment: K8sObject) => at(deployment, 'spec', 'template', 'spec', 'containers', 0);

describe('canary render', { skip: kubectlMissing }, () => {
  let integration: EnvironmentRender;
  let pr123: RenderedApplication[];
  let pr7: RenderedApplication[];
  let pr42: RenderedApplication[];

  before(async () => {
    integration = await renderEnvironment(repoRoot, 'integration-001');
    [pr123, pr7, pr42] = await Promise.all([
      renderPullRequest(repoRoot, integration, {
        number: 123,
        headSha: SHA,
        labels: ['canary:api-service', 'canary:store-service', 'bug'],
        branch: 'feature/Fix_Bug',
      }),
      renderPullRequest(repoRoot, integration, {
        number: 7,
        headSha: SHA,
        labels: ['canary:store-service'],
        branch: 'dependabot/npm_and_yarn/undici-8.14.0',
      }),
      renderPullRequest(repoRoot, integration, {
        number: 42,
        headSha: SHA,
        labels: ['canary:store-service', 'canary:isolated-data'],
        branch: 'main',
      }),
    ]);
  });

  it('PR 123 with both labels: one PR Application per service, from the default branch, under canary-platform', () => {
    assert.deepEqual(
      pr123.map((a) => [
        a.application.metadata.name,
        a.destinationNamespace,
        at(a.application, 'spec', 'project'),
        a.revision,
        a.fromPullRequestHead,
      ]),
      [
        ['api-service-pr-123', 'api-canary-pr-123', 'canary-platform', 'main', false],
        ['store-service-pr-123', 'store-canary-pr-123', 'canary-platform', 'main', false],
      ],
    );
    assert.deepEqual(names(pr123[1]), [
      'AppProject argocd/store-service-pr-123',
      'Application argocd/store-service-pr-123-workload',
      'AuthorizationPolicy store-canary-pr-123/store-service-callers',
      'AuthorizationPolicy store-canary-pr-123/store-service-pr-callers',
      'ConfigMap store-canary-pr-123/store-service-env',
      'GRPCRoute apps/store-service-canary-pr-123',
      'IngressRoute apps/store-service-preview-pr-123',
      'LimitRange store-canary-pr-123/canary-limits',
      'MeshTLSAuthentication store-canary-pr-123/store-service-callers',
      'MeshTLSAuthentication store-canary-pr-123/store-service-pr-callers',
      'Middleware apps/store-service-preview-pr-123-key',
      'Namespace store-canary-pr-123',
      'NetworkPolicy store-canary-pr-123/canary-ingress',
      'NetworkPolicy store-canary-pr-123/store-service-ingress',
      'NetworkPolicy store-canary-pr-123/store-service-ingress-pr',
      'ReferenceGrant store-canary-pr-123/allow-grpcroutes-from-apps',
      'ResourceQuota store-canary-pr-123/canary-quota',
      'Server store-canary-pr-123/store-service-grpc',
      'ServiceAccount store-canary-pr-123/store-service',
      'ServiceMonitor store-canary-pr-123/store-service',
    ]);
    assert.ok(names(pr123[0])?.includes('IngressRoute apps/api-service-canary-pr-123'));
    // This PR's api may call the stable store: its own admission, in apps.
    assert.ok(names(pr123[0])?.includes('AuthorizationPolicy apps/api-service-canary-pr-123'));
    assert.ok(names(pr123[0])?.includes('MeshTLSAuthentication apps/api-service-canary-pr-123'));
  });

  it("the workload Application renders the PR's own manifests at its head: workload kinds only, in its namespace, under its own project", () => {
    for (const [app, service] of [
      [pr123[0], 'api-service'],
      [pr123[1], 'store-service'],
    ] as const) {
      const [workload] = app?.children ?? [];
      assert.ok(workload);
      assert.equal(workload.fromPullRequestHead, true);
      assert.equal(workload.revision, SHA);
      assert.equal(at(workload.application, 'spec', 'project'), `${service}-pr-123`);
      assert.equal(
        at(workload.application, 'spec', 'source', 'path'),
        `manifests-microservices/kustomize/${service}/pr`,
      );
      assert.deepEqual(
        workload.objects.map(({ object }) => `${object.kind} ${object.metadata.namespace}`).sort(),
        // No ServiceMonitor: how a canary is scraped comes from the default branch.
        ['Deployment', 'PodDisruptionBudget', 'Service'].map((k) => `${k} ${app?.destinationNamespace}`),
      );
      const deployment = find(workload, 'Deployment');
      assert.equal(
        at(container(deployment), 'image'),
        `ghcr.io/example-org/pr-canary/${service}:pr-123-1a2b3c4d`,
      );
      const project = find(app, 'AppProject');
      assert.deepEqual(at(project, 'spec', 'destinations'), [
        { server: 'https://kubernetes.default.svc', namespace: app?.destinationNamespace },
      ]);
      assert.deepEqual(at(project, 'spec', 'clusterResourceWhitelist'), []);
    }
  });

  it('PR 123: track, namespace, route and sync waves', () => {
    const [api, store] = pr123;
    for (const app of [api, store]) {
      const env = find(app, 'ConfigMap');
      assert.equal(at(env, 'data', 'DEPLOYMENT_TRACK'), 'pr-123');
      const ns = find(app, 'Namespace');
      assert.equal(ns.metadata.labels?.['canary.pr-canary.dev/pr'], '123');
      assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
      assert.equal(ns.metadata.annotations?.['linkerd.io/inject'], 'enabled');
      assert.equal(ns.metadata.annotations?.['config.linkerd.io/proxy-cpu-limit'], '200m');
      assert.equal(ns.metadata.annotations?.['argocd.argoproj.io/sync-wave'], '-2');
      assert.equal(find(app, 'Application').metadata.annotations?.['argocd.argoproj.io/sync-wave'], '0');
    }
    const route = find(api, 'IngressRoute');
    assert.equal(route.metadata.annotations?.['argocd.argoproj.io/sync-wave'], '1');
    assert.deepEqual(at(route, 'spec', 'entryPoints'), ['internal']);
    assert.equal(
      at(route, 'spec', 'routes', 0, 'match'),
      'Host(`api.int-001.example.com`) && Header(`X-Canary`, `123`)',
    );
    assert.equal(at(route, 'spec', 'routes', 0, 'priority'), 1000);
    assert.deepEqual(at(route, 'spec', 'routes', 0, 'services', 0), {
      name: 'api-service',
      namespace: 'api-canary-pr-123',
      port: 8080,
    });
    const grpc = find(store, 'GRPCRoute');
    assert.deepEqual(at(grpc, 'spec', 'parentRefs'), [
      { group: '', kind: 'Service', name: 'store-service', port: 8080 },
    ]);
    assert.deepEqual(at(grpc, 'spec', 'rules', 0, 'matches'), [
      {
        method: { type: 'Exact', service: 'store.v1.StoreService' },
        headers: [{ type: 'Exact', name: 'x-canary', value: '123' }],
      },
    ]);
    assert.deepEqual(at(grpc, 'spec', 'rules', 0, 'backendRefs'), [
      { name: 'store-service', namespace: 'store-canary-pr-123', port: 8080 },
    ]);
    assert.deepEqual(at(grpc, 'spec', 'rules', 1), {
      backendRefs: [{ name: 'store-service', namespace: 'apps', port: 8080 }],
    });
    assert.equal(
      at(
        find(store, 'NetworkPolicy', 'store-service-ingress-pr'),
        'spec',
        'ingress',
        0,
        'from',
        0,
        'namespaceSelector',
        'matchLabels',
        'canary.pr-canary.dev/pr',
      ),
      '123',
    );
    // Who may call this store canary: the stable api and PR 123's own api canary.
    assert.deepEqual(
      at(find(store, 'MeshTLSAuthentication', 'store-service-callers'), 'spec', 'identityRefs'),
      [{ kind: 'ServiceAccount', name: 'api-service', namespace: 'apps' }],
    );
    assert.deepEqual(
      at(find(store, 'MeshTLSAuthentication', 'store-service-pr-callers'), 'spec', 'identityRefs'),
      [{ kind: 'ServiceAccount', name: 'api-service', namespace: 'api-canary-pr-123' }],
    );
    assert.deepEqual(at(find(api, 'MeshTLSAuthentication'), 'spec', 'identityRefs'), [
      { kind: 'ServiceAccount', name: 'api-service', namespace: 'api-canary-pr-123' },
    ]);
  });

  it("data: a store canary shares the environment's table; canary:isolated-data gives it its own (on DynamoDB Local the store creates it: no ACK Table; ACK's: aws-identity.test.ts)", () => {
    assert.equal(at(find(pr7[0], 'ConfigMap'), 'data', 'TABLE_NAME'), 'store-items-integration-001');
    assert.ok(!pr7[0]?.objects.some(({ object }) => object.kind === 'Table'));
    assert.equal(at(find(pr42[0], 'ConfigMap'), 'data', 'TABLE_NAME'), 'store-items-pr-42');
    assert.ok(!pr42[0]?.objects.some(({ object }) => object.kind === 'Table'));
    // The table is on the workload's pod template too: the label rolls the pods.
    const deployment = find(pr42[0]?.children[0], 'Deployment');
    assert.equal(
      at(deployment, 'spec', 'template', 'metadata', 'annotations', 'config.pr-canary.dev/env.TABLE_NAME'),
      'store-items-pr-42',
    );
    assert.equal(at(find(pr123[0], 'ConfigMap'), 'data', 'TABLE_NAME'), undefined, 'the api has no table');
  });

  it('PR 7 with only the store label: a store canary and nothing for the api', () => {
    assert.deepEqual(
      pr7.map((a) => a.application.metadata.name),
      ['store-service-pr-7'],
    );
    assert.equal(find(pr7[0], 'GRPCRoute').metadata.name, 'store-service-canary-pr-7');
  });

  it('names the source file of every object', () => {
    const files = Object.fromEntries(pr123[1]?.objects.map(({ object, file }) => [object.kind, file]) ?? []);
    assert.equal(files.GRPCRoute, 'manifests-microservices/components/canary-route-mesh/grpcroute.yaml');
    assert.equal(files.Namespace, 'manifests-microservices/canary/namespace.yaml');
    assert.equal(
      pr123[1]?.children[0]?.objects.find(({ object }) => object.kind === 'Deployment')?.file,
      'manifests-microservices/kustomize/store-service/base/deployment.yaml',
    );
    assert.equal(pr123[1]?.file, 'manifests-microservices/applications/canary/pr-canaries.yaml');
  });

  it('stable: one Application per catalogue service and environment, with that environment’s host, table and tag', async () => {
    const production = await renderEnvironment(repoRoot, 'production');
    const apps = production.stable.map((a) => a.application.metadata.name).sort();
    assert.deepEqual(apps, ['api-service-production', 'observability', 'shared', 'store-service-production']);
    const api = production.stable.find((a) => a.application.metadata.name === 'api-service-production');
    const publicRoute = find(api, 'IngressRoute', 'api-service-public');
    assert.equal(at(publicRoute, 'spec', 'routes', 0, 'match'), 'Host(`api.example.com`)');
    assert.deepEqual(at(publicRoute, 'spec', 'tls'), { secretName: 'api-service-tls' });
    assert.deepEqual(at(find(api, 'Certificate'), 'spec', 'dnsNames'), ['api.example.com']);
    assert.equal(
      at(container(find(api, 'Deployment')), 'image'),
      'ghcr.io/example-org/pr-canary/api-service:v0.1.0',
    );
    assert.equal(at(find(api, 'HorizontalPodAutoscaler'), 'spec', 'minReplicas'), 3);
    const store = production.stable.find((a) => a.application.metadata.name === 'store-service-production');
    assert.equal(at(find(store, 'ConfigMap'), 'data', 'TABLE_NAME'), 'store-items-production');
    const env = (at(container(find(store, 'Deployment')), 'env') as Array<{ name: string }>).map(
      (e) => e.name,
    );
    assert.ok(!env.includes('APP_VERSION'), 'the image knows its version; manifests never set it');
    const shared = production.stable.find((a) => a.application.metadata.name === 'shared');
    assert.equal(find(shared, 'Namespace', 'apps').metadata.annotations?.['linkerd.io/inject'], 'enabled');
  });

  it('the CLI writes one file per PR Application (its workload included) with --out, and refuses a bad PR number', async () => {
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
      assert.equal(
        docs.length,
        1 + 20 + 1 + 3,
        'the PR Application, its 20 objects (preview route and key, ServiceMonitor included), the workload Application and its 3',
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    await assert.rejects(
      promisify(execFile)(process.execPath, [cli, 'render', '--pr', 'pr-1']),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 2);
        assert.match(err.stderr, /expected a PR number in --pr \(1-9999999999\), got "pr-1"/);
        return true;
      },
    );
  });
});
