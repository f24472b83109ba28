// Rule immutable-image-tag on single Deployments: a PR's images need the PR's own tag *and*
// the platform's registry. A PR author knows their PR number, so a public image tagged
// pr-<N>-<anything> passes the tag check alone; in a cluster, admission policy
// pr-canary-images refuses it too (verify --cluster applies it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RenderedApplication } from '../src/gitops/argo.ts';
import type { K8sObject } from '../src/gitops/objects.ts';
import type { Scene } from '../src/gitops/rules/types.ts';
import { immutableImageTag } from '../src/gitops/rules/workloads.ts';

const REGISTRY = 'ghcr.io/example-org/pr-canary';

const deployment = (image: string): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'store-service', namespace: 'store-canary-pr-123' },
  spec: { template: { spec: { containers: [{ name: 'store-service', image }] } } },
});

const app = (pullRequest: number | undefined): RenderedApplication => ({
  application: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' } },
  file: 'a.yaml',
  generatedBy: pullRequest === undefined ? undefined : 'pr-canaries',
  destinationNamespace: 'store-canary-pr-123',
  revision: 'main',
  fromPullRequestHead: pullRequest !== undefined,
  objects: [],
  children: [],
  pullRequest,
});

const scene = { context: { registry: REGISTRY } } as unknown as Scene;

const problems = (image: string, pullRequest: number | undefined) =>
  [...immutableImageTag.check({ object: deployment(image), file: 'd.yaml' }, scene, app(pullRequest))].map(
    (p) => p.message,
  );

describe('rule immutable-image-tag', () => {
  it("passes a PR's image from the registry with its own tag, and a stable version", () => {
    assert.deepEqual(problems(`${REGISTRY}/store-service:pr-123-abcdef1`, 123), []);
    assert.deepEqual(problems(`${REGISTRY}/store-service:v0.1.0`, undefined), []);
  });

  it("refuses a PR's public image even with the PR's own tag", () => {
    assert.deepEqual(problems('docker.io/evil/miner:pr-123-abcdef1', 123), [
      `docker.io/evil/miner:pr-123-abcdef1 is not in the platform's registry ${REGISTRY}`,
    ]);
  });

  it("refuses another PR's tag and a stable image outside the registry", () => {
    assert.match(
      problems(`${REGISTRY}/store-service:pr-7-abcdef1`, 123).join('\n'),
      /PR 123's images are tagged/,
    );
    assert.match(
      problems('docker.io/library/nginx:1.29', undefined).join('\n'),
      /not in the platform's registry/,
    );
  });
});
