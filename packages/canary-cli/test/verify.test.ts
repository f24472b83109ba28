// canary verify: green on this repository, and every rule rejects a broken fixture with a
// message that names the file and the object.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { K8sObject, RenderedObject } from '../src/gitops/objects.ts';
import { type Finding, RULES, runRules, type Scene } from '../src/gitops/rules.ts';
import { buildScenes } from '../src/gitops/verify.ts';
import { kubectlMissing } from './kubectl.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const cli = fileURLToPath(new URL('../bin/canary.js', import.meta.url));
// biome-ignore lint/suspicious/noExplicitAny: fixtures edit arbitrary fields of rendered objects
type Obj = K8sObject & Record<string, any>;

interface Fixture {
  readonly rule: string;
  readonly name: string;
  /** Breaks a copy of the rendered scenes. */
  readonly breakIt: (s: Scenes) => void;
  readonly message: RegExp;
  readonly file?: string;
  readonly object?: string;
}

/** Finders over a mutable copy of the scenes. */
class Scenes {
  readonly scenes: Scene[];
  constructor(scenes: Scene[]) {
    this.scenes = scenes;
  }
  get int() {
    const scene = this.scenes.find((s) => s.name === 'integration-001');
    if (scene === undefined) throw new Error('no integration-001 scene');
    return scene;
  }
  canaryApp(name: string) {
    const app = this.int.canary.find((a) => a.application.metadata.name === name);
    if (app === undefined) throw new Error(`no ${name}`);
    return app;
  }
  in(appName: string, kind: string, name?: string): Obj {
    const found = this.canaryApp(appName).objects.find(
      (o) => o.object.kind === kind && (name === undefined || o.object.metadata.name === name),
    );
    if (found === undefined) throw new Error(`no ${kind} in ${appName}`);
    return found.object as Obj;
  }
  stableObject(kind: string, name: string): Obj {
    const found = this.int.stable
      .flatMap((a) => a.objects)
      .find((o) => o.object.kind === kind && o.object.metadata.name === name);
    if (found === undefined) throw new Error(`no stable ${kind} ${name}`);
    return found.object as Obj;
  }
  argo(kind: string, name: string): Obj {
    const found = this.int.argo.find((o) => o.object.kind === kind && o.object.metadata.name === name);
    if (found === undefined) throw new Error(`no ${kind} ${name}`);
    return found.object as Obj;
  }
  remove(appName: string, kind: string) {
    const app = this.canaryApp(appName);
    (app as unknown as { objects: RenderedObject[] }).objects = app.objects.filter(
      (o) => o.object.kind !== kind,
    );
  }
  add(appName: string, object: K8sObject, file = 'fixture.yaml') {
    const app = this.canaryApp(appName);
    (app as unknown as { objects: RenderedObject[] }).objects = [...app.objects, { object, file }];
  }
}

const container = (d: Obj) => d.spec.template.spec.containers[0];

const FIXTURES: Fixture[] = [
  {
    rule: 'schema',
    name: 'replicas as a string',
    breakIt: (s) => {
      s.in('api-service-pr-123', 'Deployment').spec.replicas = 'two';
    },
    message: /replicas must be integer/,
    object: 'Deployment api-canary-pr-123/api-service',
    file: 'manifests-microservices/kustomize/api-service/base/deployment.yaml',
  },
  {
    rule: 'traefik-v3-api',
    name: 'a traefik.containo.us route',
    breakIt: (s) => {
      s.in('api-service-pr-123', 'IngressRoute').apiVersion = 'traefik.containo.us/v1alpha1';
    },
    message: /traefik\.containo\.us is gone/,
    object: 'IngressRoute apps/api-service-canary-pr-123',
    file: 'manifests-microservices/components/canary-api-route/ingressroute.yaml',
  },
  {
    rule: 'traefik-v3-api',
    name: 'a Headers( matcher',
    breakIt: (s) => {
      const r = s.in('api-service-pr-123', 'IngressRoute');
      r.spec.routes[0].match = r.spec.routes[0].match.replace('Header(', 'Headers(');
    },
    message: /Traefik v2 matcher/,
  },
  {
    rule: 'canary-route-priority',
    name: 'canary priority below stable',
    breakIt: (s) => {
      s.in('api-service-pr-123', 'IngressRoute').spec.routes[0].priority = 5;
    },
    message: /priority 5 is not above the stable router's 10/,
  },
  {
    rule: 'canary-route-priority',
    name: 'no explicit priority',
    breakIt: (s) => {
      delete s.in('api-service-pr-123', 'IngressRoute').spec.routes[0].priority;
    },
    message: /no explicit priority/,
  },
  {
    rule: 'canary-route-guarded',
    name: 'canary on the public entrypoint without a guard',
    breakIt: (s) => {
      const r = s.in('api-service-pr-123', 'IngressRoute');
      r.spec.entryPoints = ['websecure'];
      r.spec.routes[0].middlewares = [];
    },
    message: /public entrypoint\(s\) websecure/,
  },
  {
    rule: 'public-entrypoint-strips-canary',
    name: 'public route without the strip middleware',
    breakIt: (s) => {
      s.stableObject('IngressRoute', 'api-service-public').spec.routes[0].middlewares = [];
    },
    message: /does not strip x-canary and baggage/,
    object: 'IngressRoute apps/api-service-public',
    file: 'manifests-microservices/components/stable-edge/ingressroutes.yaml',
  },
  {
    rule: 'public-entrypoint-strips-canary',
    name: 'strip middleware that forgets baggage',
    breakIt: (s) => {
      delete s.stableObject('Middleware', 'strip-canary-headers').spec.headers.customRequestHeaders.baggage;
    },
    message: /does not strip baggage/,
  },
  {
    rule: 'grpcroute-method-match',
    name: 'a header-only GRPCRoute',
    breakIt: (s) => {
      delete s.in('store-service-pr-123', 'GRPCRoute').spec.rules[0].matches[0].method;
    },
    message: /matches headers only: add method.service/,
    object: 'GRPCRoute apps/store-service-canary-pr-123',
    file: 'manifests-microservices/components/canary-store-route/grpcroute.yaml',
  },
  {
    rule: 'grpcroute-parent-namespace',
    name: 'GRPCRoute in the PR namespace',
    breakIt: (s) => {
      s.in('store-service-pr-7', 'GRPCRoute').metadata.namespace = 'store-canary-pr-7';
    },
    message: /parent Service store-service is in apps/,
  },
  {
    rule: 'reference-grant',
    name: 'a ReferenceGrant in apps',
    breakIt: (s) => {
      s.in('store-service-pr-123', 'ReferenceGrant').metadata.namespace = 'apps';
    },
    message: /backendRef store-canary-pr-123\/store-service has no ReferenceGrant in store-canary-pr-123/,
  },
  {
    rule: 'reference-grant',
    name: 'a ReferenceGrant for the wrong kind',
    breakIt: (s) => {
      s.in('store-service-pr-7', 'ReferenceGrant').spec.from[0].kind = 'HTTPRoute';
    },
    message: /no ReferenceGrant in store-canary-pr-7 allowing GRPCRoutes from apps/,
  },
  {
    rule: 'pr-namespace-managed',
    name: 'CreateNamespace=true with no Namespace object',
    breakIt: (s) => {
      s.remove('store-service-pr-7', 'Namespace');
      s.canaryApp('store-service-pr-7').application.spec = {
        ...(s.canaryApp('store-service-pr-7').application.spec as object),
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
      };
    },
    message: /CreateNamespace=true without a Namespace object: store-canary-pr-7 would outlive the PR/,
    object: 'Application store-service-pr-7',
    file: 'manifests-microservices/applications/integration-001/applicationset-store-service-pr.yaml',
  },
  {
    rule: 'pr-namespace-managed',
    name: 'no resources finalizer',
    breakIt: (s) => {
      s.canaryApp('api-service-pr-123').application.metadata.finalizers = [];
    },
    message: /missing finalizer resources-finalizer/,
  },
  {
    rule: 'pr-namespace-managed',
    name: 'Namespace not in the first wave',
    breakIt: (s) => {
      s.in('api-service-pr-123', 'Namespace').metadata.annotations = {};
    },
    message: /earlier sync wave/,
  },
  {
    rule: 'pr-objects-confined',
    name: 'a PR Service in apps',
    breakIt: (s) => {
      s.in('api-service-pr-123', 'Service').metadata.namespace = 'apps';
    },
    message: /outside api-canary-pr-123/,
  },
  {
    rule: 'routes-after-workload',
    name: 'route in the workload wave',
    breakIt: (s) => {
      s.in('store-service-pr-123', 'GRPCRoute').metadata.annotations = {};
    },
    message: /sync wave 0 is not after the workload's 0/,
  },
  {
    rule: 'immutable-image-tag',
    name: 'a pr-123 tag',
    breakIt: (s) => {
      container(s.in('api-service-pr-123', 'Deployment')).image =
        'ghcr.io/example-org/pr-canary/api-service:pr-123';
    },
    message: /reused pr-<N> tag/,
  },
  {
    rule: 'immutable-image-tag',
    name: 'latest on stable',
    breakIt: (s) => {
      container(s.stableObject('Deployment', 'store-service')).image = 'ghcr.io/x/store-service:latest';
    },
    message: /latest is mutable/,
  },
  {
    rule: 'immutable-image-tag',
    name: 'a canary with a stable tag',
    breakIt: (s) => {
      container(s.in('store-service-pr-7', 'Deployment')).image = 'ghcr.io/x/store-service:v1.0.0';
    },
    message: /canary images are tagged pr-7-<head sha>/,
  },
  {
    rule: 'pod-hardening',
    name: 'writable root filesystem and no readiness probe',
    breakIt: (s) => {
      const c = container(s.in('api-service-pr-123', 'Deployment'));
      delete c.securityContext.readOnlyRootFilesystem;
      delete c.readinessProbe;
    },
    message: /readOnlyRootFilesystem is not true/,
  },
  {
    rule: 'pod-hardening',
    name: 'no limits, root allowed',
    breakIt: (s) => {
      const d = s.stableObject('Deployment', 'api-service');
      delete d.spec.template.spec.securityContext.runAsNonRoot;
      delete container(d).resources.limits;
    },
    message: /runAsNonRoot is not true/,
  },
  {
    rule: 'appproject-cluster-kinds',
    name: 'ClusterRole allowed',
    breakIt: (s) => {
      s.argo('AppProject', 'canary-deployments').spec.clusterResourceWhitelist.push({
        group: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
      });
    },
    message: /cluster-scoped rbac.authorization.k8s.io\/ClusterRole allowed/,
    object: 'AppProject argocd/canary-deployments',
    file: 'manifests-microservices/applications/projects/canary/appproject.yaml',
  },
  {
    rule: 'appproject-cluster-kinds',
    name: 'wildcard cluster kinds',
    breakIt: (s) => {
      s.argo('AppProject', 'stable-services').spec.clusterResourceWhitelist = [{ group: '*', kind: '*' }];
    },
    message: /cluster-scoped \*\/\* allowed/,
  },
  {
    rule: 'applicationset-template',
    name: 'default template engine, slow requeue, no label filter',
    breakIt: (s) => {
      const set = s.argo('ApplicationSet', 'api-service-pr');
      set.spec.goTemplate = false;
      set.spec.goTemplateOptions = [];
      set.spec.generators[0].pullRequest.requeueAfterSeconds = 1800;
      delete set.spec.generators[0].pullRequest.github.labels;
    },
    message: /requeueAfterSeconds is 1800/,
  },
  {
    rule: 'no-secrets-in-git',
    name: 'a Secret in a PR app',
    breakIt: (s) => {
      s.add(
        'api-service-pr-123',
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'token', namespace: 'api-canary-pr-123' },
          stringData: { token: 'x' },
        } as K8sObject,
        'manifests-microservices/oops/secret.yaml',
      );
    },
    message: /Secrets never live in git/,
    file: 'manifests-microservices/oops/secret.yaml',
  },
];

describe('canary verify', { skip: kubectlMissing }, () => {
  let scenes: Scene[];
  before(async () => {
    scenes = await buildScenes(repoRoot);
  });

  it('passes on this repository (every environment and the sample PRs)', () => {
    assert.deepEqual(runRules(scenes), []);
    assert.equal(scenes.length, 3);
    assert.deepEqual(
      scenes.find((s) => s.name === 'integration-001')?.canary.map((a) => a.application.metadata.name),
      ['api-service-pr-123', 'store-service-pr-123', 'store-service-pr-7', 'api-service-pr-9999999999'],
    );
    assert.deepEqual(scenes.find((s) => s.name === 'production')?.canary, []);
  });

  it('has at least one broken fixture for every rule', () => {
    assert.deepEqual([...new Set(FIXTURES.map((f) => f.rule))].sort(), RULES.map((r) => r.name).sort());
  });

  for (const fixture of FIXTURES) {
    it(`${fixture.rule} rejects ${fixture.name}`, () => {
      const copy = new Scenes(structuredClone(scenes));
      fixture.breakIt(copy);
      const findings: Finding[] = runRules(copy.scenes).filter((f) => f.rule === fixture.rule);
      const hit = findings.find((f) => fixture.message.test(f.message));
      assert.ok(hit, `expected ${fixture.message} among: ${JSON.stringify(findings)}`);
      assert.match(hit.file, /\S/);
      assert.match(hit.object, /\S/);
      if (fixture.file !== undefined) assert.equal(hit.file, fixture.file);
      if (fixture.object !== undefined) assert.equal(hit.object, fixture.object);
    });
  }

  describe('the command on a broken manifests tree', () => {
    let root: string;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'verify-tree-'));
      await cp(join(repoRoot, 'manifests-microservices'), join(root, 'manifests-microservices'), {
        recursive: true,
      });
      const file = join(root, 'manifests-microservices/components/canary-store-route/grpcroute.yaml');
      const text = await readFile(file, 'utf8');
      const broken = text.replace(
        / {8}- method:\n {12}type: Exact\n {12}service: store\.v1\.StoreService\n {10}headers:/,
        '        - headers:',
      );
      assert.notEqual(broken, text, 'fixture edit applied');
      await writeFile(file, broken);
    });
    after(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('exits 1, names rule, file and object, and summarises', async () => {
      await assert.rejects(
        promisify(execFile)(process.execPath, [cli, 'verify', '--repo', root]),
        (err: { code: number; stdout: string }) => {
          assert.equal(err.code, 1);
          assert.match(
            err.stdout,
            /✖ \[grpcroute-method-match\] manifests-microservices\/components\/canary-store-route\/grpcroute\.yaml: GRPCRoute apps\/store-service-canary-pr-123: rules\[0\]\.matches\[0\] matches headers only/,
          );
          assert.match(err.stdout, /16 rules, 15 passed, 1 failed \(2 findings\)/);
          return true;
        },
      );
    });
  });

  it('the command passes on the repository', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'verify']);
    assert.match(
      stdout,
      /verify: \d+ objects in 3 environments and 4 PR Applications; 16 rules, 16 passed, 0 failed \(0 findings\)/,
    );
  });
});
