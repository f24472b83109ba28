// The store's DynamoDB client (dynamo/thin.ts) and the candidates it was measured against:
// SigV4 exactly as AWS specifies it, and the same answers to deadlines, timeouts, lost
// connections and throttling (what dynamo/documents.ts promises and grpc/status.ts reads).
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type EmbeddedDynamo, startEmbeddedDynamo } from 'local-runtime/dynalite';
import { type FaultProxy, startFaultProxy } from 'test-harness/dynamo-faults';
import { waitFor } from 'test-harness/wait';
import { ensureTable } from '../src/data/table.ts';
import { CANDIDATES, createCandidate } from '../src/dynamo/candidates/index.ts';
import type { DynamoDocuments } from '../src/dynamo/documents.ts';
import { marshall, unmarshall } from '../src/dynamo/marshal.ts';
import { SigV4Signer } from '../src/dynamo/sigv4.ts';
import { signDynamoRequest } from '../src/dynamo/thin.ts';
import { createDynamo, type DynamoConfig } from '../src/dynamodb.ts';

// The AWS Signature Version 4 test suite's credentials, scope and time (its post-vanilla
// case: POST / to example.amazonaws.com, no body, service "service" in us-east-1).
const SUITE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SUITE_DATE = '20150830T123600Z';

/**
 * SigV4 written out from AWS's specification, step by step, for a POST to `/` with no
 * query: the canonical request, the string to sign, the derived key, the signature.
 */
function specSignature(
  headers: Record<string, string>,
  body: string,
  scope: { date: string; region: string; service: string },
  secretAccessKey: string,
): string {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
  const names = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .sort();
  const value = (n: string) =>
    Object.entries(headers)
      .find(([k]) => k.toLowerCase() === n)?.[1]
      ?.trim()
      .replace(/\s+/g, ' ') ?? '';
  const canonical = [
    'POST',
    '/',
    '',
    ...names.map((n) => `${n}:${value(n)}`),
    '',
    names.join(';'),
    sha(body),
  ].join('\n');
  const day = scope.date.slice(0, 8);
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', scope.date, credentialScope, sha(canonical)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), scope.region), scope.service),
    'aws4_request',
  );
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('SigV4 signing', () => {
  it("signs the test suite's post-vanilla request to its published signature", () => {
    const headers = new SigV4Signer('us-east-1', 'service').sign(
      {
        method: 'POST',
        host: 'example.amazonaws.com',
        path: '/',
        headers: {},
        body: '',
        amzDate: SUITE_DATE,
      },
      SUITE,
    );
    assert.equal(
      headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });

  it('signs a DynamoDB call as the specification says, every header it sends signed, session token included', () => {
    const body = JSON.stringify({
      TableName: 'store-items',
      Key: marshall({ PK: 'TENANT#a', SK: 'ITEM#1' }),
    });
    const credentials = { ...SUITE, sessionToken: 'session-token-example' };
    const headers = signDynamoRequest(
      new SigV4Signer('eu-west-1', 'dynamodb'),
      {
        host: 'dynamodb.eu-west-1.amazonaws.com',
        target: 'DynamoDB_20120810.GetItem',
        body,
        amzDate: SUITE_DATE,
      },
      credentials,
    );
    const { authorization, ...sent } = headers;
    const signed = Object.keys(sent)
      .map((n) => n.toLowerCase())
      .sort()
      .join(';');
    assert.equal(signed, 'content-length;content-type;host;x-amz-date;x-amz-security-token;x-amz-target');
    assert.equal(sent['x-amz-security-token'], 'session-token-example');
    const expected = specSignature(
      sent,
      body,
      { date: SUITE_DATE, region: 'eu-west-1', service: 'dynamodb' },
      SUITE.secretAccessKey,
    );
    assert.equal(
      authorization,
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/dynamodb/aws4_request, SignedHeaders=${signed}, Signature=${expected}`,
    );
  });

  it('derives the signing key again when the day or the secret changes (midnight, rotated credentials)', () => {
    const input = (amzDate: string) => ({
      method: 'POST',
      host: 'dynamodb.eu-west-1.amazonaws.com',
      path: '/',
      headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body: '{}',
      amzDate,
    });
    const kept = new SigV4Signer('eu-west-1', 'dynamodb');
    const rotated = { accessKeyId: 'AKIDROTATED', secretAccessKey: 'another-secret' };
    for (const [amzDate, credentials] of [
      [SUITE_DATE, SUITE],
      ['20150831T000001Z', SUITE],
      ['20150831T000002Z', rotated],
    ] as const) {
      const headers = kept.sign(input(amzDate), credentials);
      const fresh = new SigV4Signer('eu-west-1', 'dynamodb').sign(input(amzDate), credentials);
      assert.equal(headers.authorization, fresh.authorization, `${amzDate} ${credentials.accessKeyId}`);
      const { authorization, ...sent } = headers;
      const spec = specSignature(
        sent,
        '{}',
        { date: amzDate, region: 'eu-west-1', service: 'dynamodb' },
        credentials.secretAccessKey,
      );
      assert.ok(authorization?.endsWith(`Signature=${spec}`), `${amzDate}: ${authorization}`);
    }
  });

  it('the written-out specification reproduces the suite vector too (it checks what it checks)', () => {
    assert.equal(
      specSignature(
        { host: 'example.amazonaws.com', 'x-amz-date': SUITE_DATE },
        '',
        { date: SUITE_DATE, region: 'us-east-1', service: 'service' },
        SUITE.secretAccessKey,
      ),
      '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });
});

describe('marshalling', () => {
  it('round-trips what the store writes', () => {
    const doc = {
      s: 'x',
      n: 12,
      neg: -3,
      list: ['a', 'b'],
      map: { r1: 'h|t' },
      prev: { r1: 4 },
      empty: {},
      t: true,
      z: null,
    };
    assert.deepEqual(unmarshall(marshall({ ...doc, gone: undefined })), doc);
    assert.deepEqual(marshall({ tags: [], n: 1 }), { tags: { L: [] }, n: { N: '1' } });
    assert.throws(() => marshall({ bad: Number.NaN }), /cannot store the number NaN/);
  });
});

for (const kind of ['thin', ...CANDIDATES] as const)
  describe(`DynamoDB client ${kind}: deadlines, timeouts, lost answers, throttling`, () => {
    const table = 'client-items';
    let dynamo: EmbeddedDynamo;
    let faults: FaultProxy;
    let db: DynamoDocuments;
    const open = (settings: Partial<DynamoConfig> = {}) => {
      const config: DynamoConfig = {
        DYNAMODB_ENDPOINT: faults.endpoint,
        AWS_REGION: 'us-east-1',
        DYNAMODB_TIMEOUT_MS: 5000,
        DYNAMODB_MAX_ATTEMPTS: 3,
        ...settings,
      };
      return kind === 'thin' ? createDynamo(config) : createCandidate(kind, config);
    };
    before(async () => {
      dynamo = await startEmbeddedDynamo();
      faults = await startFaultProxy(dynamo.endpoint);
      db = await open();
      await ensureTable(db, table);
    });
    after(async () => {
      db?.close();
      await faults?.close();
      await dynamo?.close();
    });
    const key = (id: string) => ({ PK: 'TENANT#c', SK: `ITEM#${id}` });
    const reset = () =>
      Object.assign(faults.plan, { latencyMs: 0, throttleEvery: 0, resetAfterEvery: 0, operations: [] });

    it('the caller aborting stops the call at once: AbortError', async () => {
      faults.plan.latencyMs = 1000;
      const controller = new AbortController();
      const started = Date.now();
      // Aborted while the proxy holds the call.
      const received = faults.received.GetItem ?? 0;
      void waitFor(() => (faults.received.GetItem ?? 0) > received, { timeout: 5000, interval: 1 }).then(() =>
        controller.abort(new Error('deadline passed')),
      );
      await assert.rejects(db.get({ TableName: table, Key: key('a') }, { signal: controller.signal }), {
        name: 'AbortError',
      });
      reset();
      assert.ok(Date.now() - started < 800, `answered after ${Date.now() - started} ms`);
    });

    // undici's timers tick every half second: its timeouts fire up to about a second late.
    it('a write past the attempt timeout: TimeoutError, not repeated', async () => {
      const slow = await open({ DYNAMODB_TIMEOUT_MS: 200 });
      Object.assign(faults.plan, { latencyMs: 2500, operations: ['PutItem'] });
      const before = faults.forwarded.PutItem ?? 0;
      const receivedBefore = faults.received.PutItem ?? 0;
      try {
        await assert.rejects(slow.put({ TableName: table, Item: { ...key('slow'), n: 1 } }), {
          name: 'TimeoutError',
        });
        // Until the held write reaches DynamoDB: a repeat would have arrived at the proxy by then.
        await waitFor(() => (faults.forwarded.PutItem ?? 0) - before >= 1, {
          timeout: 10_000,
          what: 'the held write to be forwarded',
        });
        assert.equal((faults.received.PutItem ?? 0) - receivedBefore, 1, 'sent once');
      } finally {
        reset();
        slow.close();
      }
    });

    it('a write whose answer was lost: ECONNRESET (outcome unknown), not repeated', async () => {
      await db.put({ TableName: table, Item: { ...key('r'), n: 0 } });
      Object.assign(faults.plan, { resetAfterEvery: 1, operations: ['UpdateItem'] });
      const before = faults.forwarded.UpdateItem ?? 0;
      await assert.rejects(
        db.update({
          TableName: table,
          Key: key('r'),
          UpdateExpression: 'SET n = n + :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
        (err: Error & { code?: string }) => err.code === 'ECONNRESET',
      );
      reset();
      assert.equal((faults.forwarded.UpdateItem ?? 0) - before, 1, 'sent once');
      assert.equal(
        (await db.get({ TableName: table, Key: key('r'), ConsistentRead: true }))?.n,
        1,
        'it landed',
      );
    });

    it('throttled writes are retried and land once; a failed condition is ConditionFailed', async () => {
      Object.assign(faults.plan, { throttleEvery: 2, operations: ['PutItem'] });
      const before = faults.forwarded.PutItem ?? 0;
      for (let i = 0; i < 4; i += 1) await db.put({ TableName: table, Item: { ...key(`t${i}`), n: i } });
      reset();
      assert.equal((faults.forwarded.PutItem ?? 0) - before, 4, 'each applied once');
      assert.ok((faults.throttled.PutItem ?? 0) >= 2, 'throttled on the way');
      await assert.rejects(
        db.put({
          TableName: table,
          Item: { ...key('t0'), n: 9 },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
        { name: 'ConditionalCheckFailedException' },
      );
    });
  });
