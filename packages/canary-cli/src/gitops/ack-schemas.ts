import { z } from 'zod';
import type { K8sObject } from './objects.ts';
import type { SchemaProblem } from './schemas.ts';

/**
 * Schemas for the AWS Controllers for Kubernetes kinds the manifests render. No published
 * model package covers ACK, so these are written here from the field definitions of the
 * ACK DynamoDB controller's Table and the ACK EKS controller's PodIdentityAssociation
 * (v1alpha1), limited to the fields this project uses: anything else is refused, as in the
 * strict check of every other kind.
 */
const metadata = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});

const keySchema = z.array(z.strictObject({ attributeName: z.string(), keyType: z.enum(['HASH', 'RANGE']) }));

const table = z.strictObject({
  apiVersion: z.literal('dynamodb.services.k8s.aws/v1alpha1'),
  kind: z.literal('Table'),
  metadata,
  spec: z.strictObject({
    tableName: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/),
    billingMode: z.enum(['PROVISIONED', 'PAY_PER_REQUEST']).optional(),
    attributeDefinitions: z.array(
      z.strictObject({ attributeName: z.string(), attributeType: z.enum(['S', 'N', 'B']) }),
    ),
    keySchema,
    globalSecondaryIndexes: z
      .array(
        z.strictObject({
          indexName: z.string(),
          keySchema,
          projection: z.strictObject({
            projectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']),
            nonKeyAttributes: z.array(z.string()).optional(),
          }),
        }),
      )
      .optional(),
    deletionProtectionEnabled: z.boolean().optional(),
    tags: z.array(z.strictObject({ key: z.string(), value: z.string() })).optional(),
  }),
});

const podIdentityAssociation = z.strictObject({
  apiVersion: z.literal('eks.services.k8s.aws/v1alpha1'),
  kind: z.literal('PodIdentityAssociation'),
  metadata,
  spec: z.strictObject({
    clusterName: z.string().min(1),
    namespace: z.string().min(1),
    serviceAccount: z.string().min(1),
    roleARN: z.string().min(1),
    tags: z.record(z.string(), z.string()).optional(),
  }),
});

/** A zod schema as a strict schema check: one problem per issue, unknown fields by name. */
export const problemsOf =
  (schema: z.ZodType) =>
  (object: K8sObject): SchemaProblem[] => {
    const result = schema.safeParse(object);
    if (result.success) return [];
    return result.error.issues.flatMap((issue) => {
      const base = issue.path.reduce<string>(
        (out, part) =>
          typeof part === 'number' ? `${out}[${part}]` : out === '' ? String(part) : `${out}.${String(part)}`,
        '',
      );
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((key) => ({
          path: base === '' ? key : `${base}.${key}`,
          message: `unknown field "${key}" (the API server would drop it)`,
        }));
      return [{ path: base, message: issue.message }];
    });
  };

export const ACK_SCHEMAS: Record<string, Record<string, (object: K8sObject) => SchemaProblem[]>> = {
  'dynamodb.services.k8s.aws/v1alpha1': { Table: problemsOf(table) },
  'eks.services.k8s.aws/v1alpha1': { PodIdentityAssociation: problemsOf(podIdentityAssociation) },
};
