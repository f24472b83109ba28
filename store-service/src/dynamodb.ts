import type { StoreConfig } from './config.ts';
import type { DynamoDocuments } from './dynamo/documents.ts';
import { credentialSource } from './dynamo/policy.ts';
import { ThinDynamo } from './dynamo/thin.ts';

/**
 * The store's DynamoDB client. In AWS, credentials come from the pod's identity through
 * the SDK's default provider chain; against a local endpoint (DynamoDB Local, the lab's
 * embedded store) placeholder credentials are used unless the environment sets some.
 * The candidates it was measured against (docs/benchmarks.md) load only when named.
 */
export async function createDynamo(
  config: Pick<
    StoreConfig,
    'DYNAMODB_ENDPOINT' | 'AWS_REGION' | 'DYNAMODB_TIMEOUT_MS' | 'DYNAMODB_MAX_ATTEMPTS' | 'DYNAMODB_CLIENT'
  >,
): Promise<DynamoDocuments> {
  const local = config.DYNAMODB_ENDPOINT !== undefined;
  const common = {
    endpoint: config.DYNAMODB_ENDPOINT,
    region: config.AWS_REGION,
    timeoutMs: config.DYNAMODB_TIMEOUT_MS,
    maxAttempts: config.DYNAMODB_MAX_ATTEMPTS,
  };
  switch (config.DYNAMODB_CLIENT) {
    case 'thin':
      return new ThinDynamo({
        ...common,
        endpoint: common.endpoint ?? `https://dynamodb.${config.AWS_REGION}.amazonaws.com`,
        credentials: credentialSource({ local }),
      });
    case 'sdk':
      return (await import('./dynamo/candidates/sdk.ts')).sdkAsBefore({ ...common, local });
    case 'sdk-tuned':
      return (await import('./dynamo/candidates/sdk.ts')).sdkTuned({ ...common, local });
    case 'aws-lite':
      return (await import('./dynamo/candidates/aws-lite.ts')).awsLiteClient({
        ...common,
        credentials: credentialSource({ local }),
      });
  }
}
