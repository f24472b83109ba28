import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { LIMITS } from 'store-contract';
import { invalidArgument } from './errors.ts';
import type { ListFilter } from './item.ts';

/**
 * Page tokens are sealed: AES-256-GCM over the position after the last item read, with
 * the tenant and the filters as additional data and an expiry inside. A caller can
 * neither read the key layout nor make a token (forged, tampered, foreign, expired: all
 * INVALID_ARGUMENT naming page_token). The first key seals; every key opens, so keys can
 * be rotated: add the new key in front, drop the old one once its tokens have expired.
 *
 * Layout (base64url): version (1 byte) | nonce (12) | ciphertext | tag (16). No key id: opening
 * tries each key (GCM's tag tells the right one), so keys can be reordered freely.
 */
const VERSION = 1;
const NONCE = 12;
const TAG = 16;
/** How long a token may be used to continue. */
export const PAGE_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

export class PageTokens {
  readonly #keys: readonly Buffer[];
  readonly #now: () => number;

  /** `keys`: 32-byte AES keys, the first one seals. */
  constructor(keys: readonly Buffer[], now: () => number = Date.now) {
    if (keys.length === 0 || keys.length > 255) throw new Error('page tokens need 1 to 255 keys');
    for (const key of keys) if (key.length !== 32) throw new Error('page token keys are 32 bytes (AES-256)');
    this.#keys = keys;
    this.#now = now;
  }

  /** A process-local key: tokens die with the process (for tests, the lab, one replica). */
  static ephemeral(): PageTokens {
    return new PageTokens([randomBytes(32)]);
  }

  /** From `PAGE_TOKEN_KEYS`: base64 keys, comma-separated, the first seals. */
  static fromConfig(value: string): PageTokens {
    return new PageTokens(value.split(',').map((k) => Buffer.from(k.trim(), 'base64')));
  }

  seal(tenantId: string, filter: ListFilter, position: Record<string, string>): string {
    const nonce = randomBytes(NONCE);
    const key = this.#keys[0];
    if (key === undefined) throw new Error('no key');
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(additionalData(tenantId, filter));
    const plain = Buffer.from(JSON.stringify({ e: this.#now() + PAGE_TOKEN_TTL_MS, k: position }));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, sealed, cipher.getAuthTag()]).toString('base64url');
  }

  /** The position a token points at; INVALID_ARGUMENT (field page_token) if it is not one of ours for this query. */
  open(token: string, tenantId: string, filter: ListFilter): Record<string, string> {
    const bad = (problem: string) => invalidArgument('page_token', problem);
    if (token.length > LIMITS.pageTokenLength || !/^[A-Za-z0-9_-]+$/.test(token))
      throw bad('is not a page token from this API');
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 1 + NONCE + TAG + 1 || raw[0] !== VERSION)
      throw bad('is not a page token from this API');
    const body = this.#keys.map((key) => unseal(key, raw, tenantId, filter)).find((b) => b !== undefined);
    // Tampered, made up, or sealed for another tenant or other filters.
    if (body === undefined)
      throw bad('is not a page token for this query (tenant and filters must stay the same)');
    const { e, k } = (body ?? {}) as { e?: unknown; k?: unknown };
    if (typeof e !== 'number' || typeof k !== 'object' || k === null)
      throw bad('is not a page token from this API');
    if (e < this.#now()) throw bad('has expired: list again from the first page');
    if (!Object.values(k).every((v) => typeof v === 'string')) throw bad('is not a page token from this API');
    return k as Record<string, string>;
  }
}

function unseal(key: Buffer, raw: Buffer, tenantId: string, filter: ListFilter): unknown {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + NONCE));
    decipher.setAAD(additionalData(tenantId, filter));
    decipher.setAuthTag(raw.subarray(raw.length - TAG));
    const plain = Buffer.concat([
      decipher.update(raw.subarray(1 + NONCE, raw.length - TAG)),
      decipher.final(),
    ]);
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function additionalData(tenantId: string, filter: ListFilter): Buffer {
  return Buffer.from(
    JSON.stringify([tenantId, filter.category ?? '', filter.status ?? '', filter.search ?? '']),
  );
}
