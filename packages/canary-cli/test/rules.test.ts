// verify's rules as registered checks: each rule's metadata is data (id, description,
// remediation, what it is run on); the runner scopes objects by kind, attaches id, object and
// remediation to what a check reports, and the help and docs tables come from the same data.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RenderedApplication } from '../src/gitops/argo.ts';
import type { K8sObject } from '../src/gitops/objects.ts';
import { ruleTableIn, TROUBLESHOOTING } from '../src/gitops/rule-docs.ts';
import { docsRuleTable, helpRuleTable, RULES, runRules } from '../src/gitops/rules/index.ts';
import type { ApplicationRule, ObjectRule, Scene, SceneRule } from '../src/gitops/rules/types.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const object = (kind: string, name: string, namespace?: string): K8sObject => ({
  apiVersion: 'v1',
  kind,
  metadata: namespace === undefined ? { name } : { name, namespace },
});

const application = (name: string, objects: K8sObject[], pullRequest?: number): RenderedApplication => ({
  application: {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
  },
  file: `${name}.yaml`,
  generatedBy: pullRequest === undefined ? undefined : 'pr-canaries',
  destinationNamespace: 'apps',
  revision: 'main',
  fromPullRequestHead: false,
  objects: objects.map((o) => ({ object: o, file: `${name}/objects.yaml` })),
  children: [],
  pullRequest,
});

const scene: Scene = {
  name: 'test',
  argo: [{ object: object('AppProject', 'p', 'argocd'), file: 'project.yaml' }],
  stable: [application('stable', [object('ConfigMap', 'a', 'apps'), object('Service', 's', 'apps')])],
  canary: [application('pr-7', [object('ConfigMap', 'b', 'ns-7')], 7)],
  pullRequests: [],
  context: {
    catalogue: [],
    grpc: new Map(),
    defaultBranch: 'main',
    defaultBranchRef: { state: 'found', ref: 'refs/heads/main' },
    registry: 'r',
  },
};

describe('the rule runner', () => {
  it('hands an object rule only the objects of its kinds and attaches id, object, file and remediation', () => {
    const seen: string[] = [];
    const rule: ObjectRule = {
      id: 'test-config',
      description: 'd',
      remediation: 'the remediation',
      kinds: ['ConfigMap'],
      *check(item) {
        seen.push(item.object.metadata.name);
        yield { path: 'data', message: `saw ${item.object.metadata.name}` };
        if (item.object.metadata.name === 'b')
          yield { path: 'x', message: 'sharper', fix: 'the sharper fix' };
      },
    };
    assert.deepEqual(runRules([scene], [rule]), [
      {
        rule: 'test-config',
        file: 'stable/objects.yaml',
        object: 'ConfigMap apps/a',
        path: 'data',
        message: 'saw a',
        fix: 'the remediation',
      },
      {
        rule: 'test-config',
        file: 'pr-7/objects.yaml',
        object: 'ConfigMap ns-7/b',
        path: 'data',
        message: 'saw b',
        fix: 'the remediation',
      },
      {
        rule: 'test-config',
        file: 'pr-7/objects.yaml',
        object: 'ConfigMap ns-7/b',
        path: 'x',
        message: 'sharper',
        fix: 'the sharper fix',
      },
    ]);
    assert.deepEqual(seen, ['a', 'b']);
  });

  it("'*' reaches every object, generated Applications included", () => {
    const names: string[] = [];
    const rule: ObjectRule = {
      id: 'test-all',
      description: 'd',
      remediation: 'r',
      kinds: ['*'],
      check: (item) => {
        names.push(`${item.object.kind} ${item.object.metadata.name}`);
        return [];
      },
    };
    assert.deepEqual(runRules([scene], [rule]), []);
    assert.deepEqual(names, ['AppProject p', 'ConfigMap a', 'Service s', 'ConfigMap b', 'Application pr-7']);
  });

  it('calls an Application rule per Application of its scope; problems about another object name it', () => {
    const rule: ApplicationRule = {
      id: 'test-apps',
      description: 'd',
      remediation: 'r',
      applications: 'pr',
      reads: ['ConfigMap'],
      *check(app) {
        yield { path: 'spec', message: `app ${app.application.metadata.name}` };
        const first = app.objects[0];
        if (first !== undefined) yield { on: first, path: 'data', message: 'its ConfigMap' };
      },
      acrossScene: () => [
        { on: scene.argo[0] ?? { object: object('X', 'x'), file: 'x' }, path: '', message: 'once' },
      ],
    };
    assert.deepEqual(
      runRules([scene], [rule]).map((f) => `${f.rule} ${f.file} ${f.object}: ${f.message}`),
      [
        'test-apps project.yaml AppProject argocd/p: once',
        'test-apps pr-7.yaml Application argocd/pr-7: app pr-7',
        'test-apps pr-7/objects.yaml ConfigMap ns-7/b: its ConfigMap',
      ],
    );
  });

  it('runs a scene rule once per environment', () => {
    const rule: SceneRule = {
      id: 'test-scene',
      description: 'd',
      remediation: 'r',
      reads: [],
      check: (s) => [{ on: { object: object('Namespace', s.name), file: 'f' }, path: '', message: 'm' }],
    };
    assert.deepEqual(
      runRules([scene, { ...scene, name: 'other' }], [rule]).map((f) => f.object),
      ['Namespace test', 'Namespace other'],
    );
  });
});

describe('the registered rules', () => {
  it('have unique ids and say what they require and how to fix it', () => {
    const ids = RULES.map((r) => r.id);
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      'duplicate ids',
    );
    for (const rule of RULES) {
      assert.match(rule.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, rule.id);
      assert.match(rule.description, /\S/, `${rule.id} description`);
      assert.match(rule.remediation, /\S/, `${rule.id} remediation`);
      if ('kinds' in rule) assert.ok(rule.kinds.length > 0, `${rule.id} kinds`);
    }
  });

  it('canary help lists them from the same data', () => {
    const table = helpRuleTable();
    for (const rule of RULES) assert.ok(table.includes(`${rule.id.padEnd(32)} ${rule.description}`), rule.id);
  });

  it(`${TROUBLESHOOTING} holds the rule table generated from them`, async () => {
    const text = await readFile(join(repoRoot, TROUBLESHOOTING), 'utf8');
    assert.equal(
      ruleTableIn(text),
      docsRuleTable(),
      `${TROUBLESHOOTING} is out of date: bash scripts/run.sh node packages/canary-cli/src/gitops/rule-docs.ts`,
    );
  });
});
