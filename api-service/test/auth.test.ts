// Who may call: JWTs verified against a JWKS (here an in-memory one), the tenant from a
// claim, never from the request alone.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createLogger } from 'service-kit';
import { buildApp } from '../src/app.ts';
import { jwtAuthenticator } from '../src/auth.ts';
import { fakeStore } from './fake-store.ts';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api-service';
const identity = { service: 'api-service', track: 'stable', version: 'test' };
const item = { name: 'Dune', price_cents: 1, category: 'books', inventory_count: 1 };

describe('authentication', () => {
  let app: FastifyInstance;
  let sign: (
    claims: Record<string, unknown>,
    options?: { iss?: string; aud?: string; exp?: number },
  ) => Promise<string>;
  let publicJwk: JWK;
  let privateKey: PrivateKey;
  const store = fakeStore();
  before(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const publicKey = pair.publicKey;
    publicJwk = { ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'k1' };
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(options.iss ?? ISSUER)
        .setAudience(options.aud ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600)
        .sign(privateKey);
    ({ app } = await buildApp({
      identity,
      store,
      authenticate: jwtAuthenticator({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: createLocalJWKSet({ keys: [publicJwk] }),
        tenantClaim: 'tenant',
        algorithms: ['ES256', 'RS256'],
      }),
      logger: createLogger(identity, 'silent'),
      corsOrigins: [],
      readyDeadlineMs: 100,
    }));
  });
  after(async () => {
    await app?.close();
  });

  const call = (
    token: string | undefined,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    extra: Record<string, string> = {},
    payload?: unknown,
  ) =>
    app.inject({
      method,
      url,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...extra },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  it('takes the tenant from the token and the author from sub; tenant A never reaches tenant B', async () => {
    const a = await sign({ tenant: 'tenant-a', sub: 'alice' });
    const b = await sign({ tenant: 'tenant-b', sub: 'bob' });
    const created = await call(a, 'POST', '/v1/items', {}, item);
    assert.equal(created.statusCode, 201, created.body);
    const body = JSON.parse(created.body) as { id: string; tenant_id: string; created_by: string };
    assert.deepEqual([body.tenant_id, body.created_by], ['tenant-a', 'alice']);
    assert.equal((await call(a, 'GET', `/v1/items/${body.id}`)).statusCode, 200);
    for (const [method, url, payload] of [
      ['GET', `/v1/items/${body.id}`, undefined],
      ['PATCH', `/v1/items/${body.id}`, { version: 1, name: 'x' }],
      ['DELETE', `/v1/items/${body.id}`, undefined],
      ['POST', `/v1/items/${body.id}/inventory`, { quantity_change: 1 }],
    ] as const)
      assert.equal((await call(b, method, url, {}, payload)).statusCode, 404, `${method} ${url} as tenant B`);
    const listB = JSON.parse((await call(b, 'GET', '/v1/items')).body) as { items: unknown[] };
    assert.deepEqual(listB.items, []);
    const claimed = await call(b, 'GET', `/v1/items/${body.id}`, { 'x-tenant-id': 'tenant-a' });
    assert.equal(claimed.statusCode, 403, 'naming another tenant than the token');
    assert.equal(JSON.parse(claimed.body).error.code, 'permission_denied');
    assert.equal((await call(a, 'GET', '/v1/items', { 'x-tenant-id': 'tenant-a' })).statusCode, 200);
  });

  it('forwards the verified token with every store call, and nothing without one', async () => {
    const a = await sign({ tenant: 'tenant-a', sub: 'alice' });
    const before = store.calls.length;
    const created = await call(a, 'POST', '/v1/items', {}, item);
    assert.equal(created.statusCode, 201, created.body);
    const { id } = JSON.parse(created.body) as { id: string };
    await call(a, 'GET', `/v1/items/${id}`);
    await call(a, 'PATCH', `/v1/items/${id}`, {}, { version: 1, name: 'Dune II' });
    await call(a, 'POST', `/v1/items/${id}/inventory`, {}, { quantity_change: -1 });
    await call(a, 'GET', '/v1/items');
    await call(a, 'DELETE', `/v1/items/${id}`);
    const made = store.calls.slice(before);
    assert.deepEqual(
      made.map((c) => c.method),
      ['createItem', 'getItem', 'updateItem', 'updateInventory', 'listItems', 'deleteItem'],
    );
    for (const c of made) assert.equal(c.credential, a, c.method);
    await call(await sign({ tenant: 'tenant-a', sub: 'alice' }, { exp: 1 }), 'GET', '/v1/items');
    assert.equal(store.calls.length, before + made.length, 'a refused token reaches no store call');
  });

  it('refuses tokens past the lifetime limits: a century-long exp, an iat in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const century = await sign({ tenant: 'tenant-a', sub: 'alice' }, { exp: now + 100 * 365 * 86_400 });
    const r = await call(century, 'GET', '/v1/items');
    assert.equal(r.statusCode, 401);
    assert.match(JSON.parse(r.body).error.message, /lives longer than 86400 s/);
    const future = await new SignJWT({ tenant: 'tenant-a', sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now + 3600)
      .setExpirationTime(now + 7200)
      .sign(privateKey);
    const f = await call(future, 'GET', '/v1/items');
    assert.equal(f.statusCode, 401);
    assert.match(JSON.parse(f.body).error.message, /iat/);
  });

  it('answers 401 with WWW-Authenticate and the JSON error shape for every bad token', async () => {
    const { privateKey: otherKey } = await generateKeyPair('ES256');
    const past = Math.floor(Date.now() / 1000) - 60;
    const header = (alg: string) =>
      Buffer.from(JSON.stringify({ alg, typ: 'JWT', kid: 'k1' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({
        tenant: 't',
        sub: 'u',
        iss: ISSUER,
        aud: AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 600,
      }),
    ).toString('base64url');
    // HS256 signed with the public key's bytes: the classic algorithm confusion.
    const publicPem = createPublicKey({ key: publicJwk as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const hs = await new SignJWT({ tenant: 't', sub: 'u' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .sign(Buffer.from(String(publicPem)));
    const good = await sign({ tenant: 't', sub: 'u' });
    const [h, p, sig] = good.split('.');
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      expired: await sign({ tenant: 't', sub: 'u' }, { exp: past }),
      'wrong issuer': await sign({ tenant: 't', sub: 'u' }, { iss: 'https://evil.test' }),
      'wrong audience': await sign({ tenant: 't', sub: 'u' }, { aud: 'another-api' }),
      'alg none': `${header('none')}.${payload}.`,
      'HS256 with the public key': hs,
      'another key': await new SignJWT({ tenant: 't', sub: 'u' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('10m')
        .sign(otherKey),
      tampered: `${h}.${Buffer.from(JSON.stringify({ tenant: 'admin', sub: 'u', iss: ISSUER, aud: AUDIENCE, exp: 9e9 })).toString('base64url')}.${sig}`,
      'no tenant claim': await sign({ sub: 'u' }),
      'bad tenant claim': await sign({ tenant: 'a/b', sub: 'u' }),
      garbage: 'not-a-jwt',
    };
    assert.ok(p);
    for (const [name, token] of Object.entries(cases)) {
      const r = await call(token, 'GET', '/v1/items');
      assert.equal(r.statusCode, 401, name);
      assert.match(
        String(r.headers['www-authenticate']),
        /^Bearer realm="api-service", error="invalid_(request|token)"$/,
        name,
      );
      const error = JSON.parse(r.body).error as { code: string; message: string };
      assert.equal(error.code, 'unauthenticated', name);
    }
    assert.equal((await call(good, 'GET', '/v1/items')).statusCode, 200, 'the good token still works');
    assert.equal((await app.inject('/healthz')).statusCode, 200, 'health needs no token');
  });
});
