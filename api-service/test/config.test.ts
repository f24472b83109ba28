import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startService } from 'local-runtime/process';
import { loadApiConfig } from '../src/config.ts';

describe('api-service configuration', () => {
  it('has defaults for the cluster and freezes the parsed object', () => {
    const config = loadApiConfig({ AUTH_JWKS_URL: 'https://issuer.example/.well-known/jwks.json' });
    assert.equal(config.PORT, 8080);
    assert.equal(config.METRICS_PORT, 9090);
    assert.equal(config.DEPLOYMENT_TRACK, 'stable');
    assert.equal(config.STORE_ADDRESS, 'store-service.apps.svc.cluster.local:8080');
    assert.ok(Object.isFrozen(config));
  });

  it('reports every bad variable at once, by name', () => {
    assert.throws(
      () => loadApiConfig({ PORT: 'abc', STORE_ADDRESS: 'no-port', DEPLOYMENT_TRACK: 'pr-0' }),
      (err: Error) => {
        assert.match(err.message, /PORT: .*got "abc"/);
        assert.match(err.message, /STORE_ADDRESS: must be host:port/);
        assert.match(err.message, /DEPLOYMENT_TRACK: must be "stable" or "pr-<N>"/);
        return true;
      },
    );
  });

  it('refuses to start without an issuer (unset or empty) unless AUTH_DEV_TRUST_HEADERS=true', () => {
    for (const env of [{}, { AUTH_JWKS_URL: '' }, { AUTH_JWKS_URL: '', AUTH_DEV_TRUST_HEADERS: 'false' }]) {
      assert.throws(
        () => loadApiConfig(env),
        /AUTH_JWKS_URL: is required .* with AUTH_DEV_TRUST_HEADERS=true/,
        JSON.stringify(env),
      );
    }
    const dev = loadApiConfig({ AUTH_DEV_TRUST_HEADERS: 'true' });
    assert.equal(dev.AUTH_JWKS_URL, undefined);
    assert.equal(dev.AUTH_DEV_TRUST_HEADERS, true);
    assert.equal(
      loadApiConfig({ AUTH_JWKS_URL: 'https://issuer.example/jwks' }).AUTH_DEV_TRUST_HEADERS,
      false,
    );
  });

  it('the process exits 1 naming AUTH_JWKS_URL when started without an issuer', async () => {
    await assert.rejects(
      startService('api-service', {
        env: { PORT: '0', METRICS_PORT: '0', BIND_HOST: '127.0.0.1', AUTH_JWKS_URL: '' },
      }),
      (err: Error) => {
        assert.match(err.message, /exited with code 1/);
        assert.match(err.message, /api-service: invalid configuration:\n {2}AUTH_JWKS_URL: is required/);
        return true;
      },
    );
  });

  it('the process exits 1 with that message instead of starting', async () => {
    await assert.rejects(startService('api-service', { env: { PORT: 'abc' } }), (err: Error) => {
      assert.match(err.message, /exited with code 1/);
      assert.match(err.message, /api-service: invalid configuration:\n {2}PORT: /);
      return true;
    });
  });
});
