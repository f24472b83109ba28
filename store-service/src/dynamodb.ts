import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StoreConfig } from './config.ts';

/**
 * The DynamoDB client. In AWS, credentials come from the pod's identity through the
 * default provider chain; against a local endpoint (DynamoDB Local, the lab's embedded
 * store) placeholder credentials are used unless the environment sets some.
 */
export function createDynamoClient(config: StoreConfig): DynamoDBClient {
  const local = config.DYNAMODB_ENDPOINT !== undefined && process.env.AWS_ACCESS_KEY_ID === undefined;
  return new DynamoDBClient({
    region: config.AWS_REGION,
    maxAttempts: config.DYNAMODB_MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: config.DYNAMODB_TIMEOUT_MS,
      requestTimeout: config.DYNAMODB_TIMEOUT_MS,
    }),
    ...(config.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: config.DYNAMODB_ENDPOINT }),
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}
