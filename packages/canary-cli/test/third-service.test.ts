// Proof that the platform takes a service it has never seen: a fixture gRPC service
// (test/fixtures/echo-service) joins through a catalogue entry, its own folder and its own
// kustomize folder, with no other change, and render, verify, delivery and the lab all
// handle it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { changedServices, readWorkspaces } from 'delivery';
import { Lab } from 'local-runtime/lab';
import { loadCatalogue } from 'service-catalogue';
import { parseAllDocuments } from 'yaml';
import { manifestRoutes } from '../src/lab-routes.ts';
import { fixtureRepo, git } from './fixture-repo.ts';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/echo-service/', import.meta.url));
const cli = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface EchoClient extends grpc.Client {
  echo(
    request: { tenant_id: string },
    metadata: grpc.Metadata,
    callback: (err: grpc.ServiceError | null, response?: { items_seen: number }) => void,
  ): grpc.ClientUnaryCall;
}

/** Calls echo.v1.EchoService/Echo at `address`; resolves with the x-served-by trailer. */
function callEcho(root: string, address: string, key?: string): Promise<string> {
  const definition = grpc.loadPackageDefinition(
    loadSync(join(root, 'echo-service/proto/echo/v1/echo.proto')),
  ) as unknown as {
    echo: { v1: { EchoService: new (address: string, credentials: grpc.ChannelCredentials) => EchoClient } };
  };
  const client = new definition.echo.v1.EchoService(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (key !== undefined) metadata.set('x-canary', key);
  return new Promise((resolve, reject) => {
    const call = client.echo({ tenant_id: 'echo' }, metadata, (err) => {
      if (err) reject(err);
    });
    call.on('status', (status) => {
      client.close();
      if (status.code === grpc.status.OK) resolve(String(status.metadata.get('x-served-by')[0] ?? ''));
    });
  });
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
    await git(repo.root, 'add', '-A');
    await git(repo.root, 'commit', '-q', '-m', 'add echo-service');
    added = (await git(repo.root, 'diff', '--name-only', repo.base, 'HEAD')).split('\n');
  });
  after(async () => {
    await repo?.remove();
  });

  it('the change is the catalogue entry, the service folder and its kustomize folder, nothing else', () => {
    const outside = added.filter(
      (f) =>
        f !== 'catalogue.yaml' &&
        !f.startsWith('echo-service/') &&
        !f.startsWith('manifests-microservices/kustomize/echo-service/'),
    );
    assert.deepEqual(outside, []);
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
      const status = lab.status();
      assert.deepEqual(Object.keys(status.mesh).sort(), ['echo-service', 'store-service']);
      assert.ok(status.services.some((s) => s.service === 'echo-service' && s.track === 'stable' && s.up));
      await lab.add(77, { services: ['echo-service'] });
      const mesh = `127.0.0.1:${lab.meshPorts['echo-service']}`;
      assert.match(
        await callEcho(repo.root, mesh),
        /^echo-service@stable \(dev\), store-service@stable \(dev\)$/,
      );
      assert.match(
        await callEcho(repo.root, mesh, '77'),
        /^echo-service@pr-77 \(sha [0-9a-f]{7}\), store-service@stable \(dev\)$/,
      );
      assert.match(await callEcho(repo.root, mesh, '78'), /^echo-service@stable/, 'another PR: stable');
    } finally {
      await lab.stop();
    }
  });
});
