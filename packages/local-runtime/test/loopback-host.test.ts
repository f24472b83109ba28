// The lab's loopback names for the manifests' API host, read in both directions: every
// alias the Traefik edge adds to a route's Host() maps back, through the emulated edge's
// reading of a Host header, to the host the route names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostFromLoopback, loopbackAliases } from '../src/lab/loopback-host.ts';

const API_HOST = 'api.integration-001.example.com';

describe('loopback names of the API host', () => {
  it('maps each alias of a route host back to that host, port and trailing dot or not', () => {
    for (const routeHost of [API_HOST, `pr-123.${API_HOST}`, `pr-7.${API_HOST}`]) {
      const aliases = loopbackAliases(routeHost, API_HOST);
      assert.ok(aliases.length > 0, routeHost);
      for (const alias of aliases)
        for (const header of [alias, `${alias}:8080`, `${alias}.`, alias.toUpperCase()])
          assert.equal(hostFromLoopback(header, API_HOST), routeHost, `${header} → ${routeHost}`);
    }
  });

  it('gives no alias to a host outside the API host, and leaves such a Host header as it is', () => {
    assert.deepEqual(loopbackAliases('grafana.example.com', API_HOST), []);
    assert.deepEqual(loopbackAliases(`x${API_HOST}`, API_HOST), [], 'a suffix that is not a subdomain');
    assert.equal(hostFromLoopback('grafana.example.com:443', API_HOST), 'grafana.example.com');
  });

  it('reads the IPv6 loopback literal in a Host header as the API host too', () => {
    assert.equal(hostFromLoopback('[::1]:8080', API_HOST), API_HOST);
  });
});
