// The pattern languages of Argo CD's AppProjects: Go's filepath.Match (resource lists) and
// gobwas/glob (destinations, source repositories). Cases written from the documented syntax.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  argoGlobMatch,
  BadPattern,
  filepathMatch,
  filepathPatternError,
  globPatternError,
} from '../src/gitops/glob.ts';

describe('filepath.Match (group, kind and name of AppProject resource lists)', () => {
  const cases: Array<[pattern: string, name: string, matches: boolean]> = [
    ['Namespace', 'Namespace', true],
    ['Namespace', 'namespace', false],
    ['', '', true],
    ['', 'apps', false],
    ['*', '', true],
    ['*', 'apps', true],
    ['*', 'a/b', false],
    ['*-canary-pr-*', 'api-canary-pr-123', true],
    ['*-canary-pr-*', 'api-canary-pr-', true],
    ['*-canary-pr-*', 'apps', false],
    ['a*', 'a/b', false],
    ['a/*', 'a/b', true],
    ['*/b', 'a/b', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyycz', false],
    ['a*c', 'abcbc', true],
    ['?', 'a', true],
    ['?', '', false],
    ['?', 'ab', false],
    ['?', '/', false],
    ['pr-?', 'pr-7', true],
    ['[0-9]', '7', true],
    ['[0-9]', 'x', false],
    ['pr-[0-9][0-9]', 'pr-42', true],
    ['pr-[0-9][0-9]', 'pr-4', false],
    ['[a-z0-9]x', 'qx', true],
    ['[a-z0-9]x', '5x', true],
    ['[a-z0-9]x', 'Qx', false],
    ['[abc]', 'b', true],
    ['[abc]', 'd', false],
    ['[^a]', 'b', true],
    ['[^a]', 'a', false],
    ['[^a-c]', 'd', true],
    ['[^a-c]', 'b', false],
    // `!` is not negation in filepath.Match: [!a] is the class of `!` and `a`.
    ['[!a]', 'a', true],
    ['[!a]', '!', true],
    ['[!a]', 'b', false],
    // A class may match the separator.
    ['a[/]b', 'a/b', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['\\[x', '[x', true],
    ['[\\]]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-z]', 'y', false],
    ['a\\?', 'a?', true],
    ['a\\?', 'ab', false],
    ['*.yaml', 'platform.yaml', true],
    ['**', 'ab', true],
  ];
  for (const [pattern, name, matches] of cases)
    it(`${JSON.stringify(pattern)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
      assert.equal(filepathMatch(pattern, name), matches);
    });

  const bad = ['[', 'a[', '[a', '[a-', '[]', '[^]', '[a-]', '[-a]', 'x\\', '[\\', '[z-'];
  for (const pattern of bad)
    it(`refuses the malformed pattern ${JSON.stringify(pattern)} once matching reaches it`, () => {
      assert.throws(() => filepathMatch(pattern, pattern.slice(0, 1)), BadPattern);
      assert.match(filepathPatternError(pattern) ?? '', /syntax error in pattern/);
    });

  it('stops at the first mismatch without reading the rest (as Go), yet the rest makes the pattern malformed', () => {
    assert.equal(filepathMatch('b*[', 'a'), false);
    assert.equal(filepathMatch('a*[', ''), false);
    assert.throws(() => filepathMatch('a*[', 'ab'), BadPattern);
    assert.match(filepathPatternError('b*[') ?? '', /syntax error/);
    assert.equal(filepathPatternError('*-canary-pr-[0-9]*'), undefined);
  });
});

describe('gobwas/glob with Argo CD negation (destinations and source repositories)', () => {
  const cases: Array<[pattern: string, value: string, separators: string[], matches: boolean]> = [
    ['*', 'anything/at/all', ['/'], true],
    ['*-canary-pr-*', 'api-canary-pr-7', [], true],
    ['*-canary-pr-*', 'apps', [], false],
    ['https://github.com/example-org/*', 'https://github.com/example-org/pr-canary.git', ['/'], true],
    ['https://github.com/*', 'https://github.com/example-org/pr-canary.git', ['/'], false],
    ['https://github.com/**', 'https://github.com/example-org/pr-canary.git', ['/'], true],
    ['https://github.com/*', 'https://github.com/example-org', [], true],
    ['pr-?', 'pr-7', [], true],
    ['pr-[0-9]', 'pr-7', [], true],
    ['pr-[!0-9]', 'pr-7', [], false],
    ['pr-[!0-9]', 'pr-x', [], true],
    ['[abc]', 'b', [], true],
    ['{apps,argocd}', 'argocd', [], true],
    ['{apps,argocd}', 'monitoring', [], false],
    ['x-{a,b*}', 'x-bcd', [], true],
    ['\\*', '*', [], true],
    ['\\*', 'x', [], false],
    ['!apps', 'apps', [], false],
    ['!apps', 'monitoring', [], true],
    ['!kube-*', 'kube-system', [], false],
  ];
  for (const [pattern, value, separators, matches] of cases)
    it(`${JSON.stringify(pattern)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(value)}${separators.length > 0 ? ' (separator /)' : ''}`, () => {
      assert.equal(argoGlobMatch(pattern, value, separators), matches);
    });

  it('closes an unclosed { at the end, as gobwas does', () => {
    assert.equal(argoGlobMatch('{a,b', 'b'), true);
    assert.equal(argoGlobMatch('{a,b', '{a,b'), false);
  });

  for (const pattern of ['[', 'pr-[0-9', '[]', '[!]', '[z-a]', '[a-z0-9]'])
    it(`a pattern that does not compile (${JSON.stringify(pattern)}) matches nothing`, () => {
      assert.notEqual(globPatternError(pattern), undefined);
      assert.equal(argoGlobMatch(pattern, 'a'), false);
      assert.equal(argoGlobMatch(pattern, pattern), false);
    });
});
