// The clients the store's own (dynamo/thin.ts) was measured against: never part of the
// store's bundle (nothing in its import graph reaches this folder). The repository
// contract runs on each (test/repositories.test.ts), and the bench builds a store bundle
// per candidate with dynamodb.ts replaced by one of the modules below (packages/bench,
// dynamo-clients.ts).
import type { DynamoConfig } from '../../dynamodb.ts';
import type { DynamoDocuments } from '../documents.ts';

export const CANDIDATES = ['sdk', 'sdk-tuned', 'aws-lite'] as const;
export type Candidate = (typeof CANDIDATES)[number];

/** A candidate client, as dynamodb.ts makes the store's own. */
export async function createCandidate(kind: Candidate, config: DynamoConfig): Promise<DynamoDocuments> {
  switch (kind) {
    case 'sdk':
      return (await import('./sdk.ts')).createSdk(config);
    case 'sdk-tuned':
      return (await import('./sdk.ts')).createSdkTuned(config);
    case 'aws-lite':
      return (await import('./aws-lite.ts')).createAwsLite(config);
  }
}

/** The factory of each candidate, in the shape of dynamodb.ts's createDynamo (the bench builds with it). */
export const FACTORIES: Record<Candidate, { readonly file: string; readonly factory: string }> = {
  sdk: { file: 'sdk.ts', factory: 'createSdk' },
  'sdk-tuned': { file: 'sdk.ts', factory: 'createSdkTuned' },
  'aws-lite': { file: 'aws-lite.ts', factory: 'createAwsLite' },
};
