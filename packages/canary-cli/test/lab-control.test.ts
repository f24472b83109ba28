// What `lab add` can ask of the running lab through its control endpoint: never a canary
// that serves without a token (issue 27 point 7: `{"env":{"AUTH_JWKS_URL":""}}` started
// one that trusted X-Tenant-ID from anyone who sent its X-Canary).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONTROL_SECRET_HEADER, Lab, type LabClient, labClient, serveControl } from 'local-runtime/lab';
import { httpClient } from 'test-harness/http';
import { manifestRoutes } from '../src/lab-routes.ts';
import { fixtureRepo } from './fixture-repo.ts';
import { kubectlMissing } from './kubectl.ts';

describe('the lab control endpoint and authentication', { skip: kubectlMissing }, () => {
  let repo: Awaited<ReturnType<typeof fixtureRepo>>;
  let lab: Lab;
  let control: Awaited<ReturnType<typeof serveControl>>;
  let client: LabClient;
  before(async () => {
    repo = await fixtureRepo();
    lab = await Lab.start({
      repoRoot: repo.root,
      routes: manifestRoutes,
      port: 0,
      publicPort: 0,
      dataDir: undefined,
    });
    control = await serveControl(lab, repo.root, new Set());
    client = await labClient(repo.root);
  });
  after(async () => {
    await control?.close();
    await lab?.stop();
    await repo?.remove();
  });

  const api = (withToken: boolean) =>
    httpClient(
      `http://localhost:${lab.ports.internal}`,
      { 'x-tenant-id': 'lab', 'x-canary': '5' },
      withToken ? (tenant) => lab.token(tenant) : undefined,
    );

  it('refuses a canary environment that touches authentication, or anything but the fault settings; nothing starts', async () => {
    const envs: Array<Record<string, string>> = [
      { AUTH_JWKS_URL: '' },
      { AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks.json' },
      { AUTH_ISSUER: 'https://elsewhere.invalid' },
      { AUTH_DEV_TRUST_HEADERS: 'true' },
      { FAULT_DELAY_MS: '10', NODE_OPTIONS: '--inspect' },
      { STORE_ADDRESS: '127.0.0.1:1' },
    ];
    for (const env of envs) {
      await assert.rejects(
        client.add(5, { services: ['api-service'], env }),
        /only FAULT_DELAY_MS, FAULT_ERROR_RATIO may be set for a canary/,
        JSON.stringify(env),
      );
    }
    // The same through a hand-made request, with values that are not strings.
    const raw = await fetch(`${client.info.url}/canaries/5`, {
      method: 'PUT',
      headers: { [CONTROL_SECRET_HEADER]: client.info.secret, 'content-type': 'application/json' },
      body: JSON.stringify({ services: ['api-service'], env: { FAULT_DELAY_MS: 10 } }),
    });
    assert.match(await raw.text(), /env: must map names to strings/);
    assert.deepEqual((await client.status()).canaries, []);
  });

  it('a canary started through it (fault settings allowed) answers 401 without a token, 200 with one', async () => {
    await client.add(5, { services: ['api-service'], env: { FAULT_DELAY_MS: '1' } });
    try {
      const anonymous = await api(false)('GET', '/v1/items');
      assert.equal(anonymous.status, 401, anonymous.text);
      assert.match(anonymous.headers.get('x-served-by') ?? '', /api-service@pr-5/);
      const signed = await api(true)('GET', '/v1/items');
      assert.equal(signed.status, 200, signed.text);
      assert.match(signed.headers.get('x-served-by') ?? '', /api-service@pr-5/);
    } finally {
      await client.remove(5);
    }
  });
});
