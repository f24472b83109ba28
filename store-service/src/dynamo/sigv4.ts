// AWS Signature Version 4 for the store's DynamoDB calls, written for the one shape they
// have: a POST to "/" with no query and a handful of headers. What it keeps between calls
// is the day's signing key, as a KeyObject (HMAC-SHA256 of the secret, day, region,
// service), so each call costs two SHA-256 hashes and one HMAC with a key Node has already
// imported. Checked against the AWS test suite's vector and a step-by-step reading of the
// specification (test/dynamo-client.test.ts).
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Credentials } from './policy.ts';

export interface SignInput {
  readonly method: string;
  readonly host: string;
  /** Already in canonical form (DynamoDB's JSON API: "/"); no query string. */
  readonly path: string;
  /** Lower-case names. host, x-amz-date (and x-amz-security-token) are added and signed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The request's time, YYYYMMDDTHHMMSSZ; now when absent. */
  readonly amzDate?: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: KeyObject | string | Buffer, text: string) =>
  createHmac('sha256', key).update(text).digest();

/** 2026-12-05T06:52:20.123Z → 20261205T065220Z */
export function amzDateOf(time: Date): string {
  const iso = time.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** Signs requests for one region and service (a client's whole life). */
export class SigV4Signer {
  readonly #region: string;
  readonly #service: string;
  /** The signing key and what it was derived from (the secret and the day). */
  #key: { secret: string; day: string; key: KeyObject } | undefined;

  constructor(region: string, service: string) {
    this.#region = region;
    this.#service = service;
  }

  /** The headers to send: the input's, host, x-amz-date, the session token if any, authorization. */
  sign(input: SignInput, credentials: Credentials): Record<string, string> {
    const amzDate = input.amzDate ?? amzDateOf(new Date());
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = { ...input.headers, host: input.host, 'x-amz-date': amzDate };
    if (credentials.sessionToken !== undefined && credentials.sessionToken !== '')
      headers['x-amz-security-token'] = credentials.sessionToken;
    const names = Object.keys(headers).sort();
    const signedHeaders = names.join(';');
    let canonical = `${input.method}\n${input.path}\n\n`;
    for (const name of names) canonical += `${name}:${canonicalValue(headers[name] ?? '')}\n`;
    canonical += `\n${signedHeaders}\n${sha256(input.body)}`;
    const scope = `${day}/${this.#region}/${this.#service}/aws4_request`;
    const signature = createHmac('sha256', this.#signingKey(credentials.secretAccessKey, day))
      .update(`AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonical)}`)
      .digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  #signingKey(secret: string, day: string): KeyObject {
    const kept = this.#key;
    if (kept !== undefined && kept.day === day && kept.secret === secret) return kept.key;
    const derived = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.#region), this.#service), 'aws4_request');
    const key = createSecretKey(derived);
    this.#key = { secret, day, key };
    return key;
  }
}

/** A header value as SigV4 signs it: trimmed, runs of spaces as one. */
function canonicalValue(value: string): string {
  const trimmed = value.trim();
  return /\s\s|[\t\n]/.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
}
