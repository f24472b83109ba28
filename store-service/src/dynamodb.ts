import type { StoreConfig } from './config.ts';
import type { DynamoDocuments } from './dynamo/documents.ts';
import { credentialSource } from './dynamo/policy.ts';
import { ThinDynamo } from './dynamo/thin.ts';

export type DynamoConfig = Pick<
  StoreConfig,
  'DYNAMODB_ENDPOINT' | 'AWS_REGION' | 'DYNAMODB_TIMEOUT_MS' | 'DYNAMODB_MAX_ATTEMPTS'
>;

/**
 * The store's DynamoDB client (dynamo/thin.ts, chosen by measurement: docs/benchmarks.md).
 * In AWS, credentials come from the pod's identity through the SDK's default provider
 * chain; against a local endpoint (DynamoDB Local, the lab's embedded store) placeholder
 * credentials are used unless the environment sets some. The bench builds the store with
 * this module replaced by each candidate of dynamo/candidates/ (packages/bench).
 */
export async function createDynamo(config: DynamoConfig): Promise<DynamoDocuments> {
  return new ThinDynamo({
    endpoint: config.DYNAMODB_ENDPOINT ?? `https://dynamodb.${config.AWS_REGION}.amazonaws.com`,
    region: config.AWS_REGION,
    timeoutMs: config.DYNAMODB_TIMEOUT_MS,
    maxAttempts: config.DYNAMODB_MAX_ATTEMPTS,
    credentials: credentialSource({ local: config.DYNAMODB_ENDPOINT !== undefined }),
  });
}
