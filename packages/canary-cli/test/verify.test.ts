// canary verify: green on this repository; strict schemas report typos and wrong values at
// any depth with object, file, path and field; the command prints each finding with its
// fix and exits 1 on a broken tree. The breakage suite (breakage.test.ts) covers every rule.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { K8sObject } from '../src/gitops/objects.ts';
import { RULES, runRules, type Scene } from '../src/gitops/rules/index.ts';
import { allApplications, allObjects } from '../src/gitops/rules/scene.ts';
import { schemaRule } from '../src/gitops/rules/schema.ts';
import { buildScenes } from '../src/gitops/verify.ts';
import { kubectlMissing } from './kubectl.ts';
import { MUTATIONS } from './mutations.ts';
import { apply, copyTree } from './tree.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cli = fileURLToPath(new URL('../bin/canary.js', import.meta.url));
// biome-ignore lint/suspicious/noExplicitAny: the typo cases edit arbitrary fields of rendered objects
type Obj = K8sObject & Record<string, any>;

describe('canary verify', { skip: kubectlMissing }, () => {
  let scenes: Scene[];
  before(async () => {
    scenes = await buildScenes(repoRoot);
  });

  it('passes on this repository (every environment and the sample PRs)', () => {
    assert.deepEqual(runRules(scenes), []);
    assert.deepEqual(
      scenes.map((s) => s.name),
      ['production', 'staging', 'integration-001'],
    );
    assert.deepEqual(
      scenes.find((s) => s.name === 'integration-001')?.canary.map((a) => a.application.metadata.name),
      [
        'api-service-pr-123',
        'store-service-pr-123',
        'store-service-pr-7',
        'store-service-pr-42',
        'api-service-pr-9999999999',
      ],
    );
    assert.deepEqual(scenes.find((s) => s.name === 'production')?.canary, []);
  });

  describe('strict schemas', () => {
    const integration = () => structuredClone(scenes.find((s) => s.name === 'integration-001') as Scene);
    const pick = (scene: Scene, kind: string, name: string): Obj => {
      const found =
        allObjects(scene).find(({ object }) => object.kind === kind && object.metadata.name === name) ??
        allApplications(scene)
          .map((a) => ({ object: a.application }))
          .find(({ object }) => object.kind === kind && object.metadata.name === name);
      assert.ok(found, `${kind} ${name}`);
      return found.object as Obj;
    };
    const cases: Array<{
      name: string;
      edit: (s: Scene) => void;
      object: string;
      file: string;
      path: string;
      message: RegExp;
    }> = [
      {
        name: 'a misspelt field three levels down in a generated Application',
        edit: (s) => {
          const policy = pick(s, 'Application', 'store-service-integration-001').spec.syncPolicy.automated;
          policy.selfheal = policy.selfHeal;
          delete policy.selfHeal;
        },
        object: 'Application argocd/store-service-integration-001',
        file: 'manifests-microservices/applications/base/services.yaml',
        path: 'spec.syncPolicy.automated.selfheal',
        message: /unknown field "selfheal".*did you mean "selfHeal"/,
      },
      {
        name: 'a misspelt field inside a list inside a list (container port)',
        edit: (s) => {
          const port = pick(s, 'Deployment', 'api-service').spec.template.spec.containers[0].ports[0];
          port.nmae = port.name;
          delete port.name;
        },
        object: 'Deployment apps/api-service',
        file: 'manifests-microservices/kustomize/api-service/base/deployment.yaml',
        path: 'spec.template.spec.containers[0].ports[0].nmae',
        message: /unknown field "nmae".*did you mean "name"/,
      },
      {
        name: 'a misspelt CRD field (Traefik route)',
        edit: (s) => {
          const route = pick(s, 'IngressRoute', 'api-service-canary-pr-123').spec.routes[0];
          route.middleware = route.middlewares;
          delete route.middlewares;
        },
        object: 'IngressRoute apps/api-service-canary-pr-123',
        file: 'manifests-microservices/components/canary-route-edge/ingressroute.yaml',
        path: 'spec.routes[0].middleware',
        message: /did you mean "middlewares"/,
      },
      {
        name: 'a misspelt Gateway API field four levels down',
        edit: (s) => {
          const method = pick(s, 'GRPCRoute', 'store-service-canary-pr-7').spec.rules[0].matches[0].method;
          method.serivce = method.service;
          delete method.service;
        },
        object: 'GRPCRoute apps/store-service-canary-pr-7',
        file: 'manifests-microservices/components/canary-route-mesh/grpcroute.yaml',
        path: 'spec.rules[0].matches[0].method.serivce',
        message: /did you mean "service"/,
      },
      {
        name: 'metadata misspelt on a Namespace',
        edit: (s) => {
          const ns = pick(s, 'Namespace', 'store-canary-pr-42');
          ns.metadata.annotaions = ns.metadata.annotations;
          delete ns.metadata.annotations;
        },
        object: 'Namespace store-canary-pr-42',
        file: 'manifests-microservices/canary/namespace.yaml',
        path: 'metadata.annotaions',
        message: /did you mean "annotations"/,
      },
      // An ACK Table's misspelt field: aws-identity.test.ts (the committed settings use
      // DynamoDB Local, where no Table is rendered).
      {
        name: 'a string where an integer belongs',
        edit: (s) => {
          pick(s, 'HorizontalPodAutoscaler', 'api-service').spec.minReplicas = 'two';
        },
        object: 'HorizontalPodAutoscaler apps/api-service',
        file: 'manifests-microservices/kustomize/api-service/stable/hpa.yaml',
        path: 'spec.minReplicas',
        message: /must be integer/,
      },
      {
        name: 'a value outside an enum',
        edit: (s) => {
          pick(s, 'GRPCRoute', 'store-service-canary-pr-123').spec.rules[0].matches[0].headers[0].type =
            'Prefix';
        },
        object: 'GRPCRoute apps/store-service-canary-pr-123',
        file: 'manifests-microservices/components/canary-route-mesh/grpcroute.yaml',
        path: 'spec.rules[0].matches[0].headers[0].type',
        message: /must be one of "Exact", "RegularExpression"/,
      },
    ];
    for (const c of cases) {
      it(`reports ${c.name} with object, file and path`, () => {
        const scene = integration();
        assert.deepEqual(runRules([scene], [schemaRule]), [], 'clean before the edit');
        c.edit(scene);
        const findings = runRules([scene], [schemaRule]);
        const hit = findings.find((f) => f.path === c.path);
        assert.ok(hit, `expected a finding at ${c.path}; got ${JSON.stringify(findings)}`);
        assert.equal(hit.object, c.object);
        assert.equal(hit.file, c.file);
        assert.match(hit.message, c.message);
        assert.match(hit.fix, /\S/);
      });
    }
  });

  describe('the command on a broken tree', () => {
    let root: string;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'verify-tree-'));
      await copyTree(root);
      const headerOnly = MUTATIONS.find((m) => m.rule === 'grpcroute-method-match');
      assert.ok(headerOnly);
      await apply(root, headerOnly);
    });
    after(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('exits 1, names rule, file, object and path, says how to fix it, and summarises', async () => {
      await assert.rejects(
        promisify(execFile)(process.execPath, [cli, 'verify', '--repo', root]),
        (err: { code: number; stdout: string }) => {
          assert.equal(err.code, 1);
          assert.match(
            err.stdout,
            /✖ \[grpcroute-method-match\] manifests-microservices\/components\/canary-route-mesh\/grpcroute\.yaml: GRPCRoute apps\/store-service-canary-pr-123 spec\.rules\[0\]\.matches\[0\]: matches headers only/,
          );
          assert.match(err.stdout, /\n {4}fix: add method: \{type: Exact, service: <the gRPC service>\}\n/);
          assert.match(
            err.stdout,
            new RegExp(
              `${RULES.length} rules, ${RULES.length - 1} passed, 1 failed \\(3 findings\\) in [0-9.]+ s`,
            ),
          );
          return true;
        },
      );
    });
  });

  it('the command passes on the repository and lists every rule in its help', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'verify']);
    assert.match(
      stdout,
      new RegExp(
        `verify: \\d+ objects in 3 environments and 5 PR Applications; ${RULES.length} rules, ${RULES.length} passed, 0 failed \\(0 findings\\)`,
      ),
    );
    const help = (await promisify(execFile)(process.execPath, [cli, 'help'])).stdout;
    const troubleshooting = await readFile(join(repoRoot, 'docs/troubleshooting.md'), 'utf8');
    for (const rule of RULES) {
      assert.ok(help.includes(rule.id), `${rule.id} in canary help`);
      assert.ok(troubleshooting.includes(`| \`${rule.id}\` |`), `${rule.id} in docs/troubleshooting.md`);
    }
  });
});
