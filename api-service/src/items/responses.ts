import { ErrorRef } from './schemas.ts';

// Every answer an operation can give is in the document (checked by a contract proxy in
// the tests): the errors of every request, and those of requests with a body or a version.
export const errors = {
  400: ErrorRef,
  401: ErrorRef,
  403: ErrorRef,
  404: ErrorRef,
  414: ErrorRef,
  431: ErrorRef,
  500: ErrorRef,
  503: ErrorRef,
  504: ErrorRef,
};
export const bodyErrors = { 409: ErrorRef, 413: ErrorRef, 415: ErrorRef };
export const versionErrors = { 428: ErrorRef };

/** Response headers every answer carries, and those of specific answers. */
const canaryHeaders = {
  'x-served-by': {
    type: 'string',
    description: 'every hop that served the request: service@track (version)',
  },
  'x-canary-echo': { type: 'string', description: 'the accepted X-Canary key' },
  'x-canary-error': { type: 'string', description: 'why X-Canary was ignored' },
};
export const withHeaders = (schema: object, headers: Record<string, object>) => ({
  ...schema,
  headers: { ...canaryHeaders, ...headers },
});
export const etag = { etag: { type: 'string', description: 'the item version, for If-Match' } };
export const replayed = {
  'idempotent-replayed': {
    type: 'string',
    description:
      '"true" when the key matched an earlier request and nothing was applied now; absent, this request was applied (for a retried stock change: its key was new, or older than the item remembers)',
  },
};
