import { createHash } from 'node:crypto';
import { LIMITS } from 'store-contract';
import { invalidArgument } from './errors.ts';
import type { ListFilter } from './item.ts';

/**
 * Page tokens are opaque to callers: base64url of the position after the last item
 * returned and a fingerprint of the filters. A token is only valid for the same tenant
 * and filters it came from, and is checked before use.
 */
interface TokenBody {
  readonly v: 1;
  readonly f: string;
  readonly k: Record<string, string>;
}

function fingerprint(tenantId: string, filter: ListFilter): string {
  return createHash('sha256')
    .update(JSON.stringify([tenantId, filter.category ?? '', filter.status ?? '', filter.search ?? '']))
    .digest('base64url')
    .slice(0, 16);
}

export function encodePageToken(
  tenantId: string,
  filter: ListFilter,
  position: Record<string, string>,
): string {
  const body: TokenBody = { v: 1, f: fingerprint(tenantId, filter), k: position };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Returns the position a token points at; INVALID_ARGUMENT (field page_token) if it is not one of ours. */
export function decodePageToken(token: string, tenantId: string, filter: ListFilter): Record<string, string> {
  const bad = (problem: string) => invalidArgument('page_token', problem);
  if (token.length > LIMITS.pageTokenLength || !/^[A-Za-z0-9_-]+$/.test(token))
    throw bad('is not a valid page token');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw bad('is not a valid page token');
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    (body as TokenBody).v !== 1 ||
    typeof (body as TokenBody).f !== 'string' ||
    typeof (body as TokenBody).k !== 'object' ||
    (body as TokenBody).k === null
  ) {
    throw bad('is not a valid page token');
  }
  const { f, k } = body as TokenBody;
  if (f !== fingerprint(tenantId, filter)) throw bad('belongs to a different query (filters changed)');
  if (!Object.values(k).every((v) => typeof v === 'string' && v.length <= 512))
    throw bad('is not a valid page token');
  return k;
}
