/**
 * Realistic ways a team breaks the manifests, each with the rule of `canary verify` that must
 * refuse it. Targets are found by content (an exact snippet that must occur exactly once in
 * the files searched), never by path, so moving a file cannot silently skip a mutation.
 */
export interface Edit {
  /** Exact text to find; it must occur exactly once in the files searched. */
  readonly find: string;
  readonly replace: string;
  /** Narrows the search to files whose repository path contains this (when the text recurs). */
  readonly within?: string;
}

export interface Mutation {
  readonly name: string;
  readonly rule: string;
  readonly edits: readonly Edit[];
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: "the store's mesh authentication admits every meshed identity (a PR canary of any service could call it)",
    rule: 'mesh-callers-only',
    edits: [
      {
        find: '  identityRefs:\n    - kind: ServiceAccount\n      name: api-service\n      namespace: apps\n',
        replace: '  identities:\n    - "*"\n',
        within: 'store-service/stable/mesh-authorization.yaml',
      },
    ],
  },
  {
    name: 'PathPrefix(`/v1`) && added in front of the canary edge rule',
    rule: 'canary-route-covers-stable',
    edits: [{ find: 'edgeMatch: "Host(`', replace: 'edgeMatch: "PathPrefix(`/v1`) && Host(`' }],
  },
  {
    name: 'the PR number written as the header name',
    rule: 'canary-key-value',
    edits: [{ find: 'Header(`X-Canary`, `{{ .number }}`)', replace: 'Header(`{{ .number }}`, `X-Canary`)' }],
  },
  {
    name: 'a PR claims another PR’s preview hostname',
    rule: 'preview-hostname',
    edits: [{ find: 'previewMatch: "Host(`pr-{{ .number }}.', replace: 'previewMatch: "Host(`pr-1.' }],
  },
  {
    name: 'the preview key middleware sets another PR’s number',
    rule: 'preview-hostname',
    edits: [
      {
        find: '  - source: { kind: CanaryParams, fieldPath: spec.pr }\n    targets:\n      - select: { kind: Middleware',
        replace:
          '  - source: { kind: CanaryParams, fieldPath: spec.port }\n    targets:\n      - select: { kind: Middleware',
      },
    ],
  },
  {
    name: 'a typo in the gRPC service canary routes match',
    rule: 'grpc-service-exists',
    edits: [{ find: 'grpcService: store.v1.StoreService', replace: 'grpcService: store.v1.StorService' }],
  },
  {
    name: "the store Service's port changed under its routes",
    rule: 'ports-resolve',
    edits: [
      {
        find: '    - name: grpc\n      port: 8080',
        replace: '    - name: grpc\n      port: 8081',
        within: 'store-service/base/service.yaml',
      },
    ],
  },
  {
    name: "a canary route's stable backend left at the placeholder port",
    rule: 'ports-resolve',
    edits: [{ find: '          - spec.rules.1.backendRefs.0.port\n', replace: '' }],
  },
  {
    name: "a canary GRPCRoute's parent left at the placeholder port",
    rule: 'ports-resolve',
    edits: [{ find: '          - spec.parentRefs.0.port\n', replace: '' }],
  },
  {
    name: "the canary IngressRoute's service left at the placeholder port",
    rule: 'ports-resolve',
    edits: [
      {
        find: '      - select: { kind: IngressRoute }\n        reject: [{ labelSelector: config.pr-canary.dev/backend=stable-edge }]\n        fieldPaths: [spec.routes.0.services.0.port]\n',
        replace: '',
        within: 'manifests-microservices/canary/kustomization.yaml',
      },
    ],
  },
  {
    name: 'the metrics port renamed under a ServiceMonitor',
    rule: 'ports-resolve',
    edits: [
      {
        find: '    - name: metrics\n      port: 9090',
        replace: '    - name: prom\n      port: 9090',
        within: 'api-service/base/service.yaml',
      },
    ],
  },
  {
    name: 'linkerd.io/inject removed from namespace apps',
    rule: 'mesh-injection',
    edits: [{ find: '    linkerd.io/inject: enabled\n', replace: '', within: 'shared/namespace.yaml' }],
  },
  {
    name: 'linkerd.io/inject written as a label on canary namespaces',
    rule: 'mesh-injection',
    edits: [
      { find: '    linkerd.io/inject: enabled\n', replace: '', within: 'canary/namespace.yaml' },
      {
        find: '  labels:\n    app.kubernetes.io/part-of: pr-canary\n    canary.pr-canary.dev/pr: placeholder\n',
        replace:
          '  labels:\n    linkerd.io/inject: enabled\n    app.kubernetes.io/part-of: pr-canary\n    canary.pr-canary.dev/pr: placeholder\n',
      },
    ],
  },
  {
    name: "the guard's allow-list widened to 0.0.0.0/0",
    rule: 'guard-allow-list',
    edits: [
      {
        find: '    sourceRange:\n      - 127.0.0.1/32\n',
        replace: '    sourceRange:\n      - 0.0.0.0/0\n',
        within: 'shared/middlewares.yaml',
      },
    ],
  },
  {
    name: 'selfHeal misspelt selfheal in the stable ApplicationSet',
    rule: 'schema',
    edits: [
      {
        find: '          selfHeal: true\n',
        replace: '          selfheal: true\n',
        within: 'applications/base/services.yaml',
      },
    ],
  },
  {
    name: 'entryPoints misspelt entrypoints on the public route',
    rule: 'schema',
    edits: [{ find: '  entryPoints:\n    - websecure', replace: '  entrypoints:\n    - websecure' }],
  },
  {
    name: "the stable project's cluster whitelist emptied (Namespace apps refused on first sync)",
    rule: 'project-permits',
    edits: [
      {
        find: '  clusterResourceWhitelist:\n    - group: ""\n      kind: Namespace\n      name: apps\n',
        replace: '  clusterResourceWhitelist: []\n',
      },
    ],
  },
  {
    name: "a PR's project with namespaceResourceWhitelist: [] (Argo CD allows no kind, only an absent list allows all)",
    rule: 'project-permits',
    edits: [
      {
        find: '  namespaceResourceWhitelist:\n    - group: apps\n      kind: Deployment\n    - group: ""\n      kind: Service\n    - group: policy\n      kind: PodDisruptionBudget\n',
        replace: '  namespaceResourceWhitelist: []\n',
        within: 'canary/appproject.yaml',
      },
    ],
  },
  {
    name: "an unclosed class in the canary platform project's Namespace name pattern (matches nothing)",
    rule: 'project-permits',
    edits: [{ find: '      name: "*-canary-pr-*"\n', replace: '      name: "*-canary-pr-[0-9"\n' }],
  },
  {
    name: "a PR's project without namespaceResourceWhitelist (Argo CD then allows every kind)",
    rule: 'pr-head-confined',
    edits: [
      {
        find: '  namespaceResourceWhitelist:\n    - group: apps\n      kind: Deployment\n    - group: ""\n      kind: Service\n    - group: policy\n      kind: PodDisruptionBudget\n',
        replace: '',
        within: 'canary/appproject.yaml',
      },
    ],
  },
  {
    name: "the workload Application's revision replacement dropped (it stays at the placeholder commit)",
    rule: 'workload-at-pr-head',
    edits: [
      {
        find: '  - source: { kind: CanaryParams, fieldPath: spec.revision }\n    targets:\n      - select: { kind: Application }\n        fieldPaths: [spec.source.targetRevision]\n',
        replace: '',
      },
    ],
  },
  {
    name: 'the workload Application follows the PR branch instead of its head commit',
    rule: 'workload-at-pr-head',
    edits: [{ find: 'revision: "{{ .head_sha }}"', replace: 'revision: "{{ .branch }}"' }],
  },
  {
    name: 'canary images tagged with the 7-character sha (CI pushes head_short_sha, 8)',
    rule: 'workload-at-pr-head',
    edits: [
      {
        find: ':pr-{{ .number }}-{{ .head_short_sha }}',
        replace: ':pr-{{ .number }}-{{ .head_short_sha_7 }}',
      },
    ],
  },
  {
    name: 'PR Applications named after the branch as typed (feature/Fix_Bug)',
    rule: 'object-names',
    edits: [{ find: 'name: "{{ .name }}-pr-{{ .number }}"', replace: 'name: "{{ .name }}-{{ .branch }}"' }],
  },
  {
    name: 'CreateNamespace=true on observability under a project that may not create monitoring',
    rule: 'project-permits',
    edits: [
      {
        find: '    namespace: monitoring\n  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n',
        replace:
          '    namespace: monitoring\n  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n    syncOptions:\n      - CreateNamespace=true\n',
      },
    ],
  },
  {
    name: "the store's liveness probe pointed at the readiness service (waits for DynamoDB)",
    rule: 'liveness-independent',
    edits: [
      {
        find: '          livenessProbe:\n            grpc:\n              port: 8081\n',
        replace:
          '          livenessProbe:\n            grpc:\n              port: 8081\n              service: store.v1.StoreService\n',
      },
    ],
  },
  {
    name: 'canary edge route priority lowered to 5',
    rule: 'canary-route-priority',
    edits: [{ find: 'priority: 1000', replace: 'priority: 5' }],
  },
  {
    name: 'public route without the strip middleware',
    rule: 'public-entrypoint-strips-canary',
    edits: [
      {
        find: '      middlewares:\n        - name: strip-canary-headers\n          namespace: apps\n',
        replace: '',
      },
    ],
  },
  {
    name: 'the method match dropped from the canary GRPCRoute (header-only)',
    rule: 'grpcroute-method-match',
    edits: [
      {
        find: '        - method:\n            type: Exact\n            service: placeholder\n          headers:',
        replace: '        - headers:',
      },
      {
        find: '  - source: { kind: CanaryParams, fieldPath: spec.grpcService }\n    targets:\n      - select: { kind: GRPCRoute }\n        fieldPaths: [spec.rules.0.matches.0.method.service]\n',
        replace: '',
      },
    ],
  },
  {
    name: "a PR's own manifests add a route into apps",
    rule: 'pr-head-confined',
    edits: [
      {
        find: 'resources:\n  - ../base\n',
        replace: 'resources:\n  - ../base\ncomponents:\n  - ../../../components/canary-route-edge\n',
        within: 'kustomize/api-service/pr/',
      },
    ],
  },
  {
    name: 'the canary GRPCRoute in the same sync wave as its workload',
    rule: 'routes-after-workload',
    edits: [
      {
        find: '    argocd.argoproj.io/sync-wave: "1"\n',
        replace: '    argocd.argoproj.io/sync-wave: "0"\n',
        within: 'canary-route-mesh/grpcroute.yaml',
      },
    ],
  },
  {
    name: 'production store image tagged latest',
    rule: 'immutable-image-tag',
    edits: [
      { find: '    newTag: v0.1.0', replace: '    newTag: latest', within: 'store-service/envs/production' },
    ],
  },
  {
    name: 'canary quota shrunk below app + proxy + surge',
    rule: 'quota-fits-rollout',
    // Below the canary profile's app container alone (250m), let alone its proxy and surge pod.
    edits: [{ find: '    limits.cpu: "2"', replace: '    limits.cpu: 100m' }],
  },
  {
    name: 'ReferenceGrant for the wrong route kind',
    rule: 'reference-grant',
    edits: [
      {
        find: '      kind: GRPCRoute\n      namespace: apps',
        replace: '      kind: HTTPRoute\n      namespace: apps',
      },
    ],
  },
  {
    name: 'GRPCRoute parent group written as core',
    rule: 'grpcroute-parent',
    edits: [
      {
        find: '    - group: ""\n      kind: Service\n      name: placeholder\n      port: 1\n  rules:',
        replace: '    - group: core\n      kind: Service\n      name: placeholder\n      port: 1\n  rules:',
      },
    ],
  },
  {
    name: 'a second default Prometheus data source',
    rule: 'single-default-datasource',
    edits: [
      {
        find: '    datasources:\n',
        replace:
          '    datasources:\n      - name: Prometheus\n        uid: prom\n        type: prometheus\n        url: http://prometheus:9090\n        isDefault: true\n',
      },
    ],
  },
  {
    name: "PR Applications rendered from the PR's head",
    rule: 'routes-from-default-branch',
    edits: [
      {
        find: '          - spec.template.spec.source.targetRevision\n',
        replace: '',
        within: 'applications/canary/kustomization.yaml',
      },
      {
        find: '        # The default branch: what a PR can change is its workload, never its routes.\n        targetRevision: placeholder',
        replace: '        targetRevision: "{{ .head_sha }}"',
      },
    ],
  },
  {
    name: 'a Secret committed next to the middlewares',
    rule: 'no-secrets-in-git',
    edits: [
      {
        find: '---\napiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: canary-guard\n',
        replace:
          '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: registry\n  namespace: apps\nstringData:\n  token: not-a-real-token\n---\napiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: canary-guard\n',
        within: 'shared/middlewares.yaml',
      },
    ],
  },
  {
    name: 'runAsNonRoot dropped from the api',
    rule: 'pod-hardening',
    edits: [
      { find: '        runAsNonRoot: true\n', replace: '', within: 'api-service/base/deployment.yaml' },
    ],
  },
  {
    name: "the api's store address bypasses the stable Service the mesh routes",
    rule: 'catalogue-agreement',
    edits: [
      { find: 'value: store-service.apps.svc.cluster.local:8080', replace: 'value: store-service:8080' },
    ],
  },
  {
    name: "a typo in the store Service's selector",
    rule: 'ports-resolve',
    edits: [
      {
        find: '  selector:\n    app.kubernetes.io/name: store-service\n  ports:',
        replace: '  selector:\n    app.kubernetes.io/name: store-servce\n  ports:',
      },
    ],
  },
  {
    name: "an isolated PR table named like the environment's shared table (on AWS, where ACK creates it)",
    rule: 'isolated-table',
    edits: [
      // With DynamoDB Local (the platform's default) the store creates the table: no Table object.
      {
        find: '  aws-identity: dynamodb-local\n',
        replace: '  aws-identity: pod-identity\n',
        within: 'platform/platform.yaml',
      },
      { find: '{{ .data.table }}-pr-{{ .number }}', replace: '{{ .data.table }}-{{ .values.environment }}' },
    ],
  },
  {
    name: "the canary's environment ConfigMap no longer rendered",
    rule: 'environment-track',
    edits: [{ find: '  - env.yaml\n  - resourcequota.yaml\n', replace: '  - resourcequota.yaml\n' }],
  },
  {
    name: 'the PR label filter removed (every PR deploys every service)',
    rule: 'applicationset-template',
    edits: [{ find: '                labels:\n                  - "{{ .label }}"\n', replace: '' }],
  },
  {
    name: 'the canary platform project may create any Namespace',
    rule: 'appproject-cluster-kinds',
    edits: [{ find: '      name: "*-canary-pr-*"\n', replace: '' }],
  },
  {
    name: "a PR's project opened to every canary namespace",
    rule: 'pr-head-confined',
    edits: [
      {
        find: '  destinations:\n    - server: https://kubernetes.default.svc\n      namespace: placeholder\n',
        replace:
          '  destinations:\n    - server: https://kubernetes.default.svc\n      namespace: placeholder\n    - server: https://kubernetes.default.svc\n      namespace: "*-canary-pr-*"\n',
      },
    ],
  },
  {
    name: 'canary edge route without entryPoints',
    rule: 'ingressroute-entrypoints',
    edits: [
      {
        find: '  entryPoints:\n    - internal\n  routes:\n    - kind: Rule\n      # Host',
        replace: '  routes:\n    - kind: Rule\n      # Host',
        within: 'canary-route-edge/ingressroute.yaml',
      },
    ],
  },
  {
    name: 'a Traefik v2 API group on the internal route',
    rule: 'traefik-v3-api',
    edits: [
      {
        find: 'apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata:\n  name: placeholder-internal',
        replace:
          'apiVersion: traefik.containo.us/v1alpha1\nkind: IngressRoute\nmetadata:\n  name: placeholder-internal',
      },
    ],
  },
  {
    name: 'the canary Namespace moved to the workload wave',
    rule: 'pr-namespace-managed',
    edits: [
      {
        find: '    argocd.argoproj.io/sync-wave: "-2"\n',
        replace: '    argocd.argoproj.io/sync-wave: "0"\n',
        within: 'canary/namespace.yaml',
      },
    ],
  },
  {
    name: 'the stable api reports the wrong track',
    rule: 'environment-track',
    edits: [
      {
        find: '  DEPLOYMENT_TRACK: stable\n',
        replace: '  DEPLOYMENT_TRACK: canary\n',
        within: 'api-service/stable/env.yaml',
      },
    ],
  },
  {
    name: 'canary routes on the public entrypoint without a guard',
    rule: 'canary-route-guarded',
    edits: [
      {
        find: '  entryPoints:\n    - internal\n  routes:\n    - kind: Rule\n      # Host',
        replace: '  entryPoints:\n    - websecure\n  routes:\n    - kind: Rule\n      # Host',
        within: 'canary-route-edge/ingressroute.yaml',
      },
      {
        find: '      middlewares:\n        - name: canary-guard\n          namespace: apps\n      services:\n        - name: placeholder\n          namespace: placeholder',
        replace: '      services:\n        - name: placeholder\n          namespace: placeholder',
        within: 'canary-route-edge/ingressroute.yaml',
      },
    ],
  },
  {
    name: "the api's memory limit cut to 192Mi, its heap flags unchanged",
    rule: 'node-memory-fits',
    edits: [
      {
        find: '              memory: 384Mi',
        replace: '              memory: 192Mi',
        within: 'kustomize/api-service/base/deployment.yaml',
      },
    ],
  },
  {
    // NODE_OPTIONS stays: the canary profile replaces its value, and fails the render without it.
    name: "the store's old-space cap dropped (V8 sizes its heap from the node)",
    rule: 'node-memory-fits',
    edits: [
      {
        find: '              value: --max-old-space-size=128 --max-semi-space-size=32\n',
        replace: '              value: --max-semi-space-size=32\n',
        within: 'kustomize/store-service/base/deployment.yaml',
      },
    ],
  },
  {
    name: "canary:isolated-data changes the canary's table but no longer its pod template (the pods would not roll)",
    rule: 'settings-roll-pods',
    edits: [
      {
        find: '      - select: { kind: Application, labelSelector: config.pr-canary.dev/data=true }\n        fieldPaths: ["spec.source.kustomize.commonAnnotations.[config.pr-canary.dev/env.TABLE_NAME]"]\n',
        replace: '',
        within: 'canary/kustomization.yaml',
      },
    ],
  },
  {
    name: 'a new issuer in the platform settings reaches the stable ConfigMaps but not the pod templates',
    rule: 'settings-roll-pods',
    edits: [
      {
        find: '  - source: { kind: ConfigMap, name: platform, fieldPath: data.auth-issuer }\n    targets:\n      - select: { kind: Deployment }\n        fieldPaths: ["spec.template.metadata.annotations.[config.pr-canary.dev/env.AUTH_ISSUER]"]\n        options: { create: true }\n',
        replace: '',
        within: 'stable/kustomization.yaml',
      },
    ],
  },
  {
    name: "a store-only PR's preview hostname sent to a stable service that is not an edge service",
    rule: 'preview-hostname',
    edits: [
      {
        find: '  preview-service: api-service',
        replace: '  preview-service: store-service',
        within: 'platform/platform.yaml',
      },
    ],
  },
];
