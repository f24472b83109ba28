import { z } from 'zod';
import { problemsOf } from './ack-schemas.ts';
import type { K8sObject } from './objects.ts';
import type { SchemaProblem } from './schemas.ts';

/**
 * Schemas for Linkerd's policy kinds (policy.linkerd.io). No published model package
 * covers them, so these follow the CRDs of the Linkerd release in localdev/versions.env
 * (linkerd-crds chart: Server v1beta3, AuthorizationPolicy and MeshTLSAuthentication
 * v1alpha1), limited to the fields they define: anything else is refused, as in the strict
 * check of every other kind.
 */
const metadata = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const selector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

const server = z.strictObject({
  apiVersion: z.literal('policy.linkerd.io/v1beta3'),
  kind: z.literal('Server'),
  metadata,
  spec: z
    .strictObject({
      podSelector: selector.optional(),
      externalWorkloadSelector: selector.optional(),
      // A port name or number that must exist in the pod spec.
      port: z.union([z.int().min(1).max(65535), z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)]),
      proxyProtocol: z.enum(['unknown', 'HTTP/1', 'HTTP/2', 'gRPC', 'opaque', 'TLS']).optional(),
      // Linkerd's values for a default policy (the CRD types it as a string).
      accessPolicy: z
        .enum([
          'deny',
          'audit',
          'all-authenticated',
          'all-unauthenticated',
          'cluster-authenticated',
          'cluster-unauthenticated',
        ])
        .optional(),
    })
    .refine((s) => (s.podSelector === undefined) !== (s.externalWorkloadSelector === undefined), {
      message: 'exactly one of podSelector and externalWorkloadSelector',
    }),
});

const reference = z.strictObject({
  group: z.string().optional(),
  kind: z.string().min(1),
  name: z.string().min(1),
  namespace: z.string().optional(),
});

const authorizationPolicy = z.strictObject({
  apiVersion: z.literal('policy.linkerd.io/v1alpha1'),
  kind: z.literal('AuthorizationPolicy'),
  metadata,
  spec: z.strictObject({
    targetRef: reference,
    requiredAuthenticationRefs: z.array(reference),
  }),
});

const meshTlsAuthentication = z.strictObject({
  apiVersion: z.literal('policy.linkerd.io/v1alpha1'),
  kind: z.literal('MeshTLSAuthentication'),
  metadata,
  spec: z
    .strictObject({
      identities: z.array(z.string().min(1)).min(1).optional(),
      identityRefs: z
        .array(
          z.strictObject({
            group: z.string().optional(),
            kind: z.string().min(1),
            name: z.string().optional(),
            namespace: z.string().optional(),
          }),
        )
        .min(1)
        .optional(),
    })
    .refine((s) => (s.identities === undefined) !== (s.identityRefs === undefined), {
      message: 'exactly one of identities and identityRefs',
    }),
});

export const LINKERD_SCHEMAS: Record<string, Record<string, (object: K8sObject) => SchemaProblem[]>> = {
  'policy.linkerd.io/v1beta3': { Server: problemsOf(server) },
  'policy.linkerd.io/v1alpha1': {
    AuthorizationPolicy: problemsOf(authorizationPolicy),
    MeshTLSAuthentication: problemsOf(meshTlsAuthentication),
  },
};
