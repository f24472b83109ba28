import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as context from 'canary-context';
import * as defaults from '../src/defaults.ts';
import {
  badgeFor,
  dnrRules,
  parseServedBy,
  previewUrl,
  RESOURCE_TYPES,
  type Settings,
  validateHost,
  validatePr,
  withPr,
} from '../src/logic.ts';

describe('extension logic', () => {
  it('offers the preview hostname of a site’s PR (pr-<N>.localhost for the lab)', () => {
    assert.equal(previewUrl('api.int-001.example.com', '123'), 'https://pr-123.api.int-001.example.com/');
    assert.equal(previewUrl('localhost', '7', 'http:', '8080'), 'http://pr-7.localhost:8080/');
    assert.equal(previewUrl('127.0.0.1', '7', 'http:', '8080'), 'http://pr-7.localhost:8080/');
  });

  it('takes the header names and the PR number rule from canary-context (src/defaults.ts, written by build.ts)', () => {
    assert.equal(defaults.CANARY_HEADER, context.CANARY_HEADER);
    assert.equal(defaults.CANARY_ECHO_HEADER, context.CANARY_ECHO_HEADER);
    assert.equal(defaults.CANARY_ERROR_HEADER, context.CANARY_ERROR_HEADER);
    assert.equal(defaults.SERVED_BY_HEADER, context.SERVED_BY_HEADER);
    assert.equal(defaults.PR_NUMBER.source, context.PR_NUMBER.source);
  });

  it('accepts PR numbers only, with a message otherwise', () => {
    assert.deepEqual(validatePr(' 123 '), { ok: true, pr: '123' });
    for (const bad of ['abc', '0', 'pr-1', '12345678901', '1.5', '']) {
      const r = validatePr(bad);
      assert.equal(r.ok, false, bad);
      assert.match(r.ok ? '' : r.message, /is not a PR number/);
    }
    assert.deepEqual(validateHost('LocalHost:8080'), { ok: true, host: 'localhost' });
    assert.equal(validateHost('http://x/').ok, false);
  });

  it('builds one set-header rule per enabled site with a PR, for every resource type', () => {
    const rules = dnrRules({
      sites: [
        { host: 'localhost', pr: '123', enabled: true },
        { host: '127.0.0.1', pr: null, enabled: true },
        { host: 'api.example.com', pr: '7', enabled: false },
      ],
      recent: [],
    });
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0]?.action.requestHeaders, [
      { header: 'x-canary', operation: 'set', value: '123' },
    ]);
    assert.deepEqual(rules[0]?.condition.requestDomains, ['localhost']);
    for (const type of ['main_frame', 'sub_frame', 'xmlhttprequest', 'websocket', 'other']) {
      assert.ok(((rules[0]?.condition.resourceTypes ?? []) as readonly string[]).includes(type), type);
    }
    assert.equal(RESOURCE_TYPES.length, new Set(RESOURCE_TYPES).size);
  });

  it('reads the served-by chain and warns when no hop came from the PR', () => {
    const hops = parseServedBy('api-service@stable (v1.0.0), store-service@pr-7 (sha 1a2b3c4)');
    assert.deepEqual(
      hops.map((h) => [h.service, h.track, h.canary]),
      [
        ['api-service', 'stable', false],
        ['store-service', 'pr-7', true],
      ],
    );
    const site = { host: 'localhost', pr: '7', enabled: true };
    assert.equal(badgeFor(site, { url: 'u', hops, error: null }).warning, false);
    assert.equal(badgeFor({ ...site, pr: '8' }, { url: 'u', hops, error: null }).warning, true);
    assert.equal(badgeFor(site, { url: 'u', hops: [], error: 'not-a-pr-number' }).warning, true);
    assert.equal(badgeFor({ ...site, enabled: false }, undefined).text, '');
    assert.equal(badgeFor({ ...site, pr: '1234567' }, undefined).text, '123…');
  });

  it('keeps recent PRs, most recent first, at most five', () => {
    let settings: Settings = { sites: [], recent: [] };
    for (const pr of ['1', '2', '3', '2', '4', '5', '6']) settings = withPr(settings, 'localhost', pr, true);
    assert.deepEqual(settings.recent, ['6', '5', '4', '2', '3']);
    assert.equal(settings.sites.length, 1);
  });
});
