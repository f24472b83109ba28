import { request } from 'node:http';
import { connect } from 'node:net';

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON body, or undefined for an empty one. */
  readonly body: unknown;
  readonly text: string;
}

/** Tokens by tenant, for an api that authenticates (the stack's or the lab's issuer). */
export type TokenSource = (tenant: string) => Promise<string>;

/**
 * A small JSON client for one base URL. With `token`, a request that names a tenant in
 * X-Tenant-ID also carries `Authorization: Bearer` with a token for that tenant (unless
 * it sets Authorization itself), as a client of the authenticated api does.
 */
export function httpClient(baseUrl: string, defaults: Record<string, string> = {}, token?: TokenSource) {
  const tokens = new Map<string, Promise<string>>();
  return async function request(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: unknown; rawBody?: string; timeoutMs?: number } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...defaults, ...options.headers };
    const tenant = headers['x-tenant-id'];
    if (token !== undefined && tenant !== undefined && headers.authorization === undefined) {
      let pending = tokens.get(tenant);
      if (pending === undefined) {
        pending = token(tenant);
        tokens.set(tenant, pending);
      }
      headers.authorization = `Bearer ${await pending}`;
    }
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && headers['content-type'] === undefined)
      headers['content-type'] = 'application/json';
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
}

export interface RawResult {
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Sends bytes exactly as given (header values fetch would refuse: CR/LF, raw non-ASCII
 * bytes, repeated lines) on a fresh connection and parses the response. A server that
 * answers early (413 to a body it will not read) and closes makes the rest of the upload
 * fail: the response it sent is still returned.
 */
export function rawHttp(port: number, request: Buffer | string, timeoutMs = 5000): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    };
    socket.on('error', (err) => {
      if (Buffer.concat(chunks).includes('\r\n\r\n')) finish();
      else {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('end', finish);
    socket.write(request);
  });
}

/**
 * GET `path` from a server on loopback with the Host header given (fetch would send the
 * URL's host; a preview hostname such as pr-123.localhost must reach the lab's port as it
 * is): the status and the response headers (names lower-cased), the body read and dropped.
 */
export function getWithHost(
  port: number,
  host: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { ...headers, host } }, (res) => {
      res.resume();
      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers))
        if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
      resolve({ status: res.statusCode ?? 0, headers: flat });
    });
    req.on('error', reject);
    req.end();
  });
}
