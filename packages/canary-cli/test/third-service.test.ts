// Proof that the platform takes a service it has never seen: a fixture gRPC service
// (test/fixtures/echo-service) joins through a catalogue entry, its own folder and its own
// kustomize folder, with no other change, and render, verify, delivery and the lab all
// handle it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { changedServices } from 'delivery';
import { Lab } from 'local-runtime/lab';
import { loadCatalogue, readWorkspaces } from 'service-catalogue';
import { parseAllDocuments } from 'yaml';
import { manifestRoutes } from '../src/lab-routes.ts';
import { fixtureRepo, git } from './fixture-repo.ts';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/echo-service/', import.meta.url));
const cli = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface EchoClient extends grpc.Client {
  echo(
    request: { tenantId: string },
    metadata: grpc.Metadata,
    callback: (err: grpc.ServiceError | null, response?: { items_seen: number }) => void,
  ): grpc.ClientUnaryCall;
}

/**
 * Calls echo.v1.EchoService/Echo at `address` as tenant `echo` with `token` (echo forwards
 * it to the store, which verifies it); resolves with the x-served-by trailer.
 */
function callEcho(root: string, address: string, token: string, key?: string): Promise<string> {
  const definition = grpc.loadPackageDefinition(
    loadSync(join(root, 'echo-service/proto/echo/v1/echo.proto')),
  ) as unknown as {
    echo: { v1: { EchoService: new (address: string, credentials: grpc.ChannelCredentials) => EchoClient } };
  };
  const client = new definition.echo.v1.EchoService(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  if (key !== undefined) metadata.set('x-canary', key);
  return new Promise((resolve, reject) => {
    const call = client.echo({ tenantId: 'echo' }, metadata, (err) => {
      if (err) reject(err);
    });
    call.on('status', (status) => {
      client.close();
      if (status.code === grpc.status.OK) resolve(String(status.metadata.get('x-served-by')[0] ?? ''));
    });
  });
}

/** Where store-service lists its callers (kustomize/store-service/{stable,canary}). */
const STORE_CALLER_FILES = [
  'stable/mesh-authorization.yaml',
  'stable/networkpolicy.yaml',
  'canary/mesh-authorization.yaml',
  'canary/networkpolicy.yaml',
].map((f) => `manifests-microservices/kustomize/store-service/${f}`);

/**
 * Adds a caller to store-service's lists, next to api-service's entries: its ServiceAccount
 * in apps and in the same PR's canary namespace (`<prefix>-canary-pr-0`, the PR number set
 * by the canary layer), and its pods in the NetworkPolicies.
 */
async function admitCaller(root: string, name: string, prefix: string): Promise<void> {
  const edit = async (file: string, edits: Array<[string, string]>) => {
    let text = await readFile(join(root, file), 'utf8');
    for (const [anchor, added] of edits) {
      assert.equal(text.split(anchor).length, 2, `${file}: one ${JSON.stringify(anchor)}`);
      text = text.replace(anchor, `${anchor}${added}`);
    }
    await writeFile(join(root, file), text);
  };
  const [stableAuth, stableNet, canaryAuth, canaryNet] = STORE_CALLER_FILES as [
    string,
    string,
    string,
    string,
  ];
  const sa = (ns: string) => `    - kind: ServiceAccount\n      name: ${name}\n      namespace: ${ns}\n`;
  const api =
    '          podSelector:\n            matchLabels:\n              app.kubernetes.io/name: api-service\n';
  const peer = (labels: string[]) =>
    `        - namespaceSelector:\n            matchLabels:\n${labels.map((l) => `              ${l}\n`).join('')}${api.replace('api-service', name)}`;
  const inApps = 'kubernetes.io/metadata.name: apps';
  await edit(stableAuth, [['      name: api-service\n      namespace: apps\n', sa('apps')]]);
  await edit(canaryAuth, [
    ['      name: api-service\n      namespace: apps\n', sa('apps')],
    ['      name: api-service\n      namespace: api-canary-pr-0\n', sa(`${prefix}-canary-pr-0`)],
  ]);
  await edit(stableNet, [
    [`${inApps}\n${api}`, peer([inApps])],
    [`canary.pr-canary.dev/service: api-service\n${api}`, peer([`canary.pr-canary.dev/service: ${name}`])],
  ]);
  await edit(canaryNet, [
    [`${inApps}\n${api}`, peer([inApps])],
    [
      `canary.pr-canary.dev/pr: placeholder\n${api}`,
      peer([`canary.pr-canary.dev/service: ${name}`, 'canary.pr-canary.dev/pr: placeholder']),
    ],
  ]);
}

describe('a third service, added through the catalogue and its own folders only', () => {
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  let added: string[];
  before(async () => {
    repo = await fixtureRepo();
    await cp(join(fixture, 'echo-service'), join(repo.root, 'echo-service'), { recursive: true });
    await cp(
      join(fixture, 'manifests-microservices/kustomize/echo-service'),
      join(repo.root, 'manifests-microservices/kustomize/echo-service'),
      { recursive: true },
    );
    await appendFile(
      join(repo.root, 'catalogue.yaml'),
      await readFile(join(fixture, 'catalogue-entry.yaml')),
    );
    // echo-service calls store-service: the store admits each caller of the catalogue itself
    // (zero trust: its owners approve a new caller), in apps and in its canary namespaces.
    await admitCaller(repo.root, 'echo-service', 'echo');
    await git(repo.root, 'add', '-A');
    await git(repo.root, 'commit', '-q', '-m', 'add echo-service');
    added = (await git(repo.root, 'diff', '--name-only', repo.base, 'HEAD')).split('\n');
  });
  after(async () => {
    await repo?.remove();
  });

  it('the change is the catalogue entry, the service folder and its kustomize folder, and its admission by the store it calls', () => {
    const outside = added.filter(
      (f) =>
        f !== 'catalogue.yaml' &&
        !f.startsWith('echo-service/') &&
        !f.startsWith('manifests-microservices/kustomize/echo-service/'),
    );
    assert.deepEqual(outside.sort(), [...STORE_CALLER_FILES].sort());
    assert.ok(added.length >= 10, `${added.length} files`);
  });

  it('canary render: its PR Application deploys it into echo-canary-pr-77 with a GRPCRoute on its Service', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        cli,
        'render',
        '--repo',
        repo.root,
        '--pr',
        '77',
        '--labels',
        'canary:echo-service',
        '--head-sha',
        'a'.repeat(40),
      ],
      { maxBuffer: 32 * 1024 * 1024 },
    );
    const objects = parseAllDocuments(stdout).map(
      (d) => d.toJSON() as { kind: string; metadata: { name: string; namespace?: string }; spec?: unknown },
    );
    assert.ok(objects.some((o) => o.kind === 'Namespace' && o.metadata.name === 'echo-canary-pr-77'));
    assert.ok(
      objects.some(
        (o) =>
          o.kind === 'Deployment' &&
          o.metadata.name === 'echo-service' &&
          o.metadata.namespace === 'echo-canary-pr-77',
      ),
    );
    const route = objects.find(
      (o) => o.kind === 'GRPCRoute' && o.metadata.name === 'echo-service-canary-pr-77',
    );
    assert.ok(route, 'GRPCRoute for the canary');
    assert.match(JSON.stringify(route.spec), /echo\.v1\.EchoService/);
    assert.ok(
      !objects.some((o) => o.metadata.namespace === 'store-canary-pr-77'),
      'only the labelled service',
    );
  });

  it('canary verify accepts the tree', async () => {
    const { stdout } = await run(process.execPath, [cli, 'verify', '--repo', repo.root], {
      maxBuffer: 32 * 1024 * 1024,
    });
    assert.match(stdout, /(\d+) rules, \1 passed, 0 failed \(0 findings\)/);
  });

  it('delivery: its own change builds only its image; a contract change builds every image that uses the contract', () => {
    const workspaces = readWorkspaces(repo.root);
    const catalogue = loadCatalogue(repo.root);
    assert.deepEqual(changedServices(['echo-service/src/main.ts'], workspaces, catalogue), ['echo-service']);
    assert.deepEqual(
      changedServices(
        ['manifests-microservices/kustomize/echo-service/base/deployment.yaml'],
        workspaces,
        catalogue,
      ),
      [],
    );
    assert.deepEqual(
      changedServices(['packages/store-contract/proto/store/v1/store.proto'], workspaces, catalogue),
      ['api-service', 'store-service', 'echo-service'],
    );
  });

  it('the lab runs it behind its own mesh router; X-Canary reaches its canary at its hop, and the store after it', async () => {
    const lab = await Lab.start({
      repoRoot: repo.root,
      routes: manifestRoutes,
      port: 0,
      publicPort: 0,
      dataDir: undefined,
    });
    try {
      const token = await lab.token('echo');
      const status = lab.status();
      assert.deepEqual(Object.keys(status.mesh).sort(), ['echo-service', 'store-service']);
      assert.ok(status.services.some((s) => s.service === 'echo-service' && s.track === 'stable' && s.up));
      await lab.add(77, { services: ['echo-service'] });
      const mesh = `127.0.0.1:${lab.meshPorts['echo-service']}`;
      assert.match(
        await callEcho(repo.root, mesh, token),
        /^echo-service@stable \(dev\), store-service@stable \(dev\)$/,
      );
      assert.match(
        await callEcho(repo.root, mesh, token, '77'),
        /^echo-service@pr-77 \(sha [0-9a-f]{7}\), store-service@stable \(dev\)$/,
      );
      assert.match(
        await callEcho(repo.root, mesh, token, '78'),
        /^echo-service@stable/,
        'another PR: stable',
      );
    } finally {
      await lab.stop();
    }
  });
});
