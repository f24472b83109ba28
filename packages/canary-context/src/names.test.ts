import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CANARY_IMAGE_TAG,
  canaryImageTag,
  canaryTrack,
  previewHost,
  previewPr,
  STABLE_TRACK,
  TRACK,
  trackPr,
} from './names.ts';

describe('names that carry a PR number', () => {
  it('the track: pr-<N>, read back to its PR; stable has none', () => {
    assert.equal(canaryTrack(7), 'pr-7');
    assert.equal(trackPr(canaryTrack('123')), '123');
    assert.equal(trackPr(STABLE_TRACK), undefined);
    assert.ok(TRACK.test('pr-7') && TRACK.test('stable') && !TRACK.test('pr-07'));
    assert.throws(() => canaryTrack('0'), /not a PR number/);
  });

  it('the image tag: the track and the head commit’s first 8 characters, read back by CANARY_IMAGE_TAG', () => {
    const sha = '1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d';
    assert.equal(canaryImageTag(42, sha), 'pr-42-1a2b3c4d');
    assert.deepEqual(CANARY_IMAGE_TAG.exec(canaryImageTag(42, sha))?.slice(1), ['42', '1a2b3c4d']);
    assert.throws(() => canaryImageTag(42, 'main'), /not a commit sha/);
  });

  it('the preview hostname: pr-<N>.<api host>, and the PR a hostname names', () => {
    assert.equal(previewHost(9, 'api.example.com'), 'pr-9.api.example.com');
    assert.equal(previewPr(previewHost(9, 'api.example.com')), '9');
    assert.equal(previewPr('api.example.com'), undefined);
    assert.equal(previewPr('pr-9'), undefined, 'a bare label is no hostname under the API host');
  });
});
