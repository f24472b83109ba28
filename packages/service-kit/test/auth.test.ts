// The verifier the api and the store share: signature, issuer, audience, dates with a
// clock skew, and the lifetime limits jose does not know (iat in the future, exp - iat).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import {
  authEnv,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  parseEnv,
  TokenRejected,
  tokenSettings,
  tokenVerifier,
  type VerifyToken,
} from '../src/index.ts';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api-service';
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const now = NOW / 1000;

describe('tokenVerifier', () => {
  let sign: (claims: JWTPayload, options?: { iat?: number; exp?: number; iss?: string }) => Promise<string>;
  let verify: VerifyToken;
  let strict: VerifyToken;
  let privateKey: PrivateKey;
  let publicJwk: JWK;
  before(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), alg: 'ES256', kid: 'k1' };
    const keys = createLocalJWKSet({ keys: [publicJwk] });
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(options.iss ?? ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(options.iat ?? now)
        .setExpirationTime(options.exp ?? now + 600)
        .sign(privateKey);
    const settings = {
      issuer: ISSUER,
      audience: AUDIENCE,
      keys,
      tenantClaim: 'tenant',
      algorithms: ['ES256'],
    };
    verify = tokenVerifier(settings, () => NOW);
    strict = tokenVerifier({ ...settings, maxLifetimeSeconds: 3600, clockSkewSeconds: 5 }, () => NOW);
  });

  const rejected = async (token: Promise<string>, why: RegExp, verifier = () => verify) => {
    await assert.rejects(verifier()(await token), (err: unknown) => {
      assert.ok(err instanceof TokenRejected, String(err));
      assert.match(err.message, why);
      return true;
    });
  };

  it('returns the tenant and the user of a good token', async () => {
    assert.deepEqual(await verify(await sign({ tenant: 'tenant-a', sub: 'alice' })), {
      tenantId: 'tenant-a',
      userId: 'alice',
    });
  });

  it('defaults to a 24 h maximum lifetime and a 60 s clock skew', () => {
    assert.equal(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 86_400);
    assert.equal(DEFAULT_CLOCK_SKEW_SECONDS, 60);
    const config = parseEnv(authEnv, { AUTH_JWKS_URL: 'https://issuer.test/jwks.json' });
    assert.equal(config.AUTH_MAX_TOKEN_LIFETIME_SECONDS, 86_400);
    assert.equal(config.AUTH_CLOCK_SKEW_SECONDS, 60);
    assert.equal(tokenSettings(config)?.maxLifetimeSeconds, 86_400);
    assert.equal(tokenSettings(parseEnv(authEnv, {})), undefined, 'no issuer, no verifier');
    assert.throws(() => parseEnv(authEnv, { AUTH_MAX_TOKEN_LIFETIME_SECONDS: '9999999' }), /AUTH_MAX_TOKEN/);
  });

  it('refuses a token that lives longer than the maximum (exp - iat), however well signed', async () => {
    await rejected(
      sign({ tenant: 't', sub: 'u' }, { exp: now + 100 * 365 * 86_400 }),
      /lives longer than 86400 s/,
    );
    await rejected(sign({ tenant: 't', sub: 'u' }, { exp: now + 86_401 }), /lives longer/);
    assert.ok(
      await verify(await sign({ tenant: 't', sub: 'u' }, { exp: now + 86_400 })),
      'exactly the maximum',
    );
    await rejected(sign({ tenant: 't', sub: 'u' }, { exp: now + 3601 }), /longer than 3600 s/, () => strict);
  });

  it('refuses a token issued in the future beyond the clock skew, and accepts one within it', async () => {
    await rejected(sign({ tenant: 't', sub: 'u' }, { iat: now + 3600, exp: now + 7200 }), /iat/);
    await rejected(sign({ tenant: 't', sub: 'u' }, { iat: now + 61, exp: now + 600 }), /iat/);
    assert.ok(await verify(await sign({ tenant: 't', sub: 'u' }, { iat: now + 59, exp: now + 600 })));
    await rejected(sign({ tenant: 't', sub: 'u' }, { iat: now + 6, exp: now + 600 }), /iat/, () => strict);
  });

  it('tolerates the clock skew on exp, not more', async () => {
    assert.ok(await verify(await sign({ tenant: 't', sub: 'u' }, { iat: now - 600, exp: now - 30 })));
    await rejected(sign({ tenant: 't', sub: 'u' }, { iat: now - 600, exp: now - 61 }), /expired/);
  });

  it('remembers a verified token for a minute at most, and never past its exp', async () => {
    let clock = NOW;
    let lookups = 0;
    const keys = createLocalJWKSet({ keys: [publicJwk] });
    const counting: JWTVerifyGetKey = (...args) => {
      lookups += 1;
      return keys(...args);
    };
    const settings = {
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: counting,
      tenantClaim: 'tenant',
      algorithms: ['ES256'],
    };
    const cached = tokenVerifier(settings, () => clock);
    const token = await sign({ tenant: 't', sub: 'u' }, { exp: now + 90 });
    await cached(token);
    await cached(token);
    assert.equal(lookups, 1, 'the second check is remembered');
    clock = NOW + 61_000;
    await cached(token);
    assert.equal(lookups, 2, 'checked again after a minute');
    clock = NOW + 151_000;
    await assert.rejects(cached(token), /expired/, 'exp (plus the skew) ends the memory too');
    const uncached = tokenVerifier({ ...settings, cacheSize: 0 }, () => NOW);
    lookups = 0;
    await uncached(token);
    await uncached(token);
    assert.equal(lookups, 2);
  });

  it('requires iat, the tenant claim and sub; refuses another issuer or key', async () => {
    const noIat = new SignJWT({ tenant: 't', sub: 'u' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    await rejected(noIat, /iat claim/);
    const other = await generateKeyPair('ES256');
    const otherKey = new SignJWT({ tenant: 't', sub: 'u' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(other.privateKey);
    await rejected(otherKey, /not valid here/);
    await rejected(sign({ sub: 'u' }), /tenant claim/);
    await rejected(sign({ tenant: '', sub: 'u' }), /tenant claim/);
    await rejected(sign({ tenant: 't' }), /sub claim/);
    await rejected(sign({ tenant: 't', sub: 'u' }, { iss: 'https://evil.test' }), /iss claim/);
  });
});
