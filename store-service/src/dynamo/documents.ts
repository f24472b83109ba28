// What the store needs of a DynamoDB client: the four data-plane calls of its repository on
// items in document form (plain strings, numbers, lists and maps; each client marshals
// them to DynamoDB's typed JSON its own way), and the table calls the lab and DynamoDB
// Local need at start. Every client behind this interface answers alike:
// - a failed condition is a ConditionFailed carrying the item as the condition saw it
//   when DynamoDB returned it (ReturnValuesOnConditionCheckFailure);
// - any other refusal is an Error whose name is DynamoDB's exception name
//   (ThrottlingException, ValidationException, ResourceNotFoundException, …);
// - the caller's signal aborting stops the request: an Error named AbortError;
// - one attempt running past the configured timeout: an Error named TimeoutError;
// - a connection lost after the request was sent: an Error with code ECONNRESET (a write
//   may or may not have landed); a connection refused: code ECONNREFUSED (nothing sent).
// Reads are retried with backoff on any transient failure; writes only after throttling
// (DynamoDB applied nothing), since repeating an ADD after a lost answer applies it twice.

export type Doc = Record<string, unknown>;

export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

export interface GetInput {
  readonly TableName: string;
  readonly Key: Doc;
  readonly ConsistentRead?: boolean;
}

export interface PutInput {
  readonly TableName: string;
  readonly Item: Doc;
  readonly ConditionExpression?: string;
}

export interface UpdateInput {
  readonly TableName: string;
  readonly Key: Doc;
  readonly UpdateExpression: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Doc;
  readonly ReturnValues?: 'NONE' | 'ALL_NEW' | 'ALL_OLD';
  readonly ReturnValuesOnConditionCheckFailure?: 'NONE' | 'ALL_OLD';
}

export interface QueryInput {
  readonly TableName: string;
  readonly IndexName?: string;
  readonly KeyConditionExpression: string;
  readonly FilterExpression?: string;
  readonly ExpressionAttributeValues: Doc;
  readonly Limit: number;
  readonly ExclusiveStartKey?: Doc | undefined;
  readonly ConsistentRead?: boolean;
}

export interface QueryOutput {
  readonly Items: Doc[];
  readonly ScannedCount: number;
  readonly LastEvaluatedKey: Doc | undefined;
}

/** The table operations (no attribute values): DynamoDB's JSON in and out, as sent. */
export type TableOperation = 'CreateTable' | 'DescribeTable' | 'DeleteTable';

export interface DynamoDocuments {
  /** Which client this is (DYNAMODB_CLIENT), for the bench and the logs. */
  readonly kind: string;
  get(input: GetInput, options?: CallOptions): Promise<Doc | undefined>;
  put(input: PutInput, options?: CallOptions): Promise<void>;
  /** The item's attributes as ReturnValues asked (undefined with NONE). */
  update(input: UpdateInput, options?: CallOptions): Promise<Doc | undefined>;
  query(input: QueryInput, options?: CallOptions): Promise<QueryOutput>;
  table(operation: TableOperation, input: Doc): Promise<Doc>;
  close(): void;
}

/** A write's condition failed: nothing was applied. */
export class ConditionFailed extends Error {
  override readonly name = 'ConditionalCheckFailedException';
  /** The item as the condition saw it, when DynamoDB returned it (undefined: absent or not returned). */
  readonly item: Doc | undefined;
  constructor(message: string, item: Doc | undefined) {
    super(message);
    this.item = item;
  }
}

/** DynamoDB refused the request with an exception other than a failed condition. */
export class DynamoError extends Error {
  readonly status: number;
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

/** A failure with the name or code the interface promises (see the top of this file). */
export function failure(kind: 'AbortError' | 'TimeoutError', message: string, cause?: unknown): Error;
export function failure(kind: 'ECONNRESET' | 'ECONNREFUSED', message: string, cause?: unknown): Error;
export function failure(kind: string, message: string, cause?: unknown): Error {
  const err = new Error(message, cause === undefined ? undefined : { cause });
  if (kind === 'AbortError' || kind === 'TimeoutError') err.name = kind;
  else Object.assign(err, { code: kind });
  return err;
}
