/**
 * Realistic breakages that the static rules cannot see and a real control plane refuses:
 * API validation, CRD schemas, admission (Pod Security, LimitRanger, ResourceQuota,
 * ServiceAccount), the controllers, references between live objects and pruning. Each
 * names the cluster check that must report it. Targets are found by content (tree.ts).
 */
import type { Mutation } from './mutations.ts';

const STORE_DEPLOYMENT = 'store-service/base/deployment.yaml';

export interface ClusterMutation extends Mutation {
  /** Close the sample PRs too (only the prune check needs it; it costs time). */
  readonly prune?: boolean;
}

export const CLUSTER_MUTATIONS: readonly ClusterMutation[] = [
  {
    name: 'the Deployment selector no longer matches its pod template',
    rule: 'cluster-apply',
    edits: [
      {
        find: '  selector:\n    matchLabels:\n      app.kubernetes.io/name: store-service',
        replace: '  selector:\n    matchLabels:\n      app.kubernetes.io/name: store',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'an HPA whose minReplicas exceeds maxReplicas',
    rule: 'cluster-apply',
    edits: [
      {
        find: '        path: /spec/minReplicas\n        value: 2',
        replace: '        path: /spec/minReplicas\n        value: 6',
        within: 'api-service/envs/integration-001',
      },
    ],
  },
  {
    name: 'maxSurge and maxUnavailable both 0',
    rule: 'cluster-apply',
    edits: [
      {
        find: '      maxSurge: 1\n      maxUnavailable: 0',
        replace: '      maxSurge: 0\n      maxUnavailable: 0',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'a volume mount whose volume was renamed',
    rule: 'cluster-apply',
    edits: [
      {
        find: '            - name: tmp\n              mountPath: /tmp',
        replace: '            - name: scratch\n              mountPath: /tmp',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'minReadySeconds as long as the progress deadline',
    rule: 'cluster-apply',
    edits: [
      {
        find: '  progressDeadlineSeconds: 900',
        replace: '  progressDeadlineSeconds: 900\n  minReadySeconds: 900',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'a probe with two handlers',
    rule: 'cluster-apply',
    edits: [
      {
        find: '          livenessProbe:\n            grpc:\n',
        replace:
          '          livenessProbe:\n            tcpSocket:\n              port: 8080\n            grpc:\n',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'the strategy switched to Recreate with its rollingUpdate block left in',
    rule: 'cluster-apply',
    edits: [
      {
        find: '    type: RollingUpdate\n    rollingUpdate:',
        replace: '    type: Recreate\n    rollingUpdate:',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'a Pod Security level that does not exist on the canary namespace',
    rule: 'cluster-apply',
    edits: [
      {
        find: '    pod-security.kubernetes.io/enforce: restricted',
        replace: '    pod-security.kubernetes.io/enforce: restrict',
        within: 'canary/namespace.yaml',
      },
    ],
  },
  {
    name: 'a LimitRange default above its own maximum',
    rule: 'cluster-apply',
    edits: [
      {
        find: '      default:\n        cpu: 200m\n        memory: 128Mi',
        replace: '      default:\n        cpu: 200m\n        memory: 1Gi',
        within: 'canary/limitrange.yaml',
      },
    ],
  },
  {
    name: 'a PodDisruptionBudget with both minAvailable and maxUnavailable',
    rule: 'cluster-apply',
    edits: [
      {
        find: '  maxUnavailable: 1\n  selector:',
        replace: '  maxUnavailable: 1\n  minAvailable: 1\n  selector:',
        within: 'store-service/base/pdb.yaml',
      },
    ],
  },
  {
    name: 'the store Service made a NodePort to reach it from a laptop',
    rule: 'cluster-apply',
    edits: [
      {
        find: 'spec:\n  selector:\n    app.kubernetes.io/name: store-service',
        replace: 'spec:\n  type: NodePort\n  selector:\n    app.kubernetes.io/name: store-service',
        within: 'store-service/base/service.yaml',
      },
    ],
  },
  {
    name: 'the LimitRange maximum below the canary container’s limit',
    rule: 'cluster-pods',
    edits: [
      {
        find: '      max:\n        cpu: "1"\n        memory: 512Mi',
        replace: '      max:\n        cpu: "1"\n        memory: 192Mi',
        within: 'canary/limitrange.yaml',
      },
    ],
  },
  {
    name: 'a ServiceAccount name the namespace does not have',
    rule: 'cluster-pods',
    edits: [
      {
        find: '      serviceAccountName: store-service',
        replace: '      serviceAccountName: store-svc',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'a capability Pod Security restricted does not allow',
    rule: 'cluster-pods',
    edits: [
      {
        find: '            capabilities:\n              drop:\n                - ALL',
        replace:
          '            capabilities:\n              add:\n                - NET_RAW\n              drop:\n                - ALL',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'a pod sysctl outside Pod Security’s safe set',
    rule: 'cluster-pods',
    edits: [
      {
        find: '        seccompProfile:\n          type: RuntimeDefault',
        replace:
          '        seccompProfile:\n          type: RuntimeDefault\n        sysctls:\n          - name: net.core.somaxconn\n            value: "1024"',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'a host port on the gRPC container port',
    rule: 'cluster-pods',
    edits: [
      {
        find: '            - name: grpc\n              containerPort: 8080',
        replace: '            - name: grpc\n              containerPort: 8080\n              hostPort: 8080',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'an env key read from the env ConfigMap under a misspelt key',
    rule: 'cluster-pods',
    edits: [
      {
        find: '            - name: LOG_LEVEL\n              value: info',
        replace:
          '            - name: LOG_LEVEL\n              valueFrom:\n                configMapKeyRef:\n                  name: store-service-env\n                  key: LOG_LEVELS',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'the canary guard middleware referenced in the wrong namespace',
    rule: 'cluster-reference',
    edits: [
      {
        find: '        - name: canary-guard\n          namespace: apps',
        replace: '        - name: canary-guard\n          namespace: traefik',
        within: 'canary-route-edge/ingressroute.yaml',
      },
    ],
  },
  {
    name: 'the TLS issuer renamed in the platform settings',
    rule: 'cluster-reference',
    edits: [
      {
        find: '  tls-issuer: pr-canary-ca',
        replace: '  tls-issuer: pr-canary-issuer',
        within: 'platform/platform.yaml',
      },
    ],
  },
  {
    name: 'the HPA scales a Deployment that does not exist',
    rule: 'cluster-reference',
    edits: [
      {
        find: '    kind: Deployment\n    name: api-service',
        replace: '    kind: Deployment\n    name: api',
        within: 'api-service/stable/hpa.yaml',
      },
    ],
  },
  {
    name: 'a Deployment committed paused',
    rule: 'cluster-rollout',
    edits: [
      {
        find: '  revisionHistoryLimit: 3',
        replace: '  revisionHistoryLimit: 3\n  paused: true',
        within: STORE_DEPLOYMENT,
      },
    ],
  },
  {
    name: 'a finalizer nothing removes on a PR’s ConfigMap',
    rule: 'cluster-prune',
    prune: true,
    edits: [
      {
        find: '  name: placeholder-env\n  labels:\n    config.pr-canary.dev/role: env',
        replace:
          '  name: placeholder-env\n  finalizers:\n    - pr-canary.dev/keep\n  labels:\n    config.pr-canary.dev/role: env',
        within: 'canary/env.yaml',
      },
    ],
  },
  {
    // The object exists (cluster-reference may see it too), but in another namespace: Traefik
    // disables the canary's router, and X-Canary traffic silently reaches stable.
    name: "the canary route's guard middleware named in another namespace",
    rule: 'cluster-edge-router',
    edits: [
      {
        find: '        - name: canary-guard\n          namespace: apps',
        replace: '        - name: canary-guard\n          namespace: traefik',
        within: 'components/canary-route-edge/ingressroute.yaml',
      },
    ],
  },
  {
    // kubectl port-forward traffic arrives at Traefik from 127.0.0.1: the guard now refuses
    // every request the docs send to the internal entrypoint.
    name: 'the canary guard no longer admits 127.0.0.1 (the port-forward path)',
    rule: 'cluster-edge',
    edits: [
      {
        find: '      - 127.0.0.1/32',
        replace: '      - 127.0.0.2/32',
        within: 'shared/middlewares.yaml',
      },
    ],
  },
  {
    // The mesh preview's priority above the edge canary's own preview: a PR that deploys
    // both answers its preview hostname with the stable api, not its api canary.
    name: "the mesh services' preview hostname outranks the edge canary's own",
    rule: 'cluster-edge',
    edits: [
      {
        find: '      match: placeholder\n      priority: 800',
        replace: '      match: placeholder\n      priority: 1900',
        within: 'components/canary-route-mesh/preview.yaml',
      },
    ],
  },
];
