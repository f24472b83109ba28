// A request-smuggling corpus for any HTTP/1.1 proxy: raw bytes sent over TCP to the
// proxy's (host, port), and verdicts computed from what the backends behind it received.
// It knows nothing of the lab: give it the proxy's address and a way to read what the
// backends saw (startRecordingBackend below records it; a backend in another network
// namespace, behind a real Traefik, can report the same events).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** One request as a backend received it. */
export interface SeenRequest {
  readonly kind: 'request';
  /** Which backend (the name given to startRecordingBackend). */
  readonly backend: string;
  readonly method: string;
  /** The request target as received (path and query). */
  readonly path: string;
  /** Header names lower-cased; repeated headers joined with ", " (node's view). */
  readonly headers: Readonly<Record<string, string>>;
  /** Header lines exactly as received: name, value, name, value, … */
  readonly rawHeaders: readonly string[];
  readonly bodyLength: number;
  /** Which backend connection it came on (1, 2, …), to see desynchronised connections. */
  readonly connection: number;
}

/** Bytes a backend could not read as HTTP: the proxy forwarded something that is not a request. */
export interface SeenGarbage {
  readonly kind: 'unparseable';
  readonly backend: string;
  /** node's parser error code (HPE_…). */
  readonly code: string;
  /** The first bytes the parser refused, as latin1 text. */
  readonly bytes: string;
  readonly connection: number;
}

export type BackendEvent = SeenRequest | SeenGarbage;

export interface RecordingBackend {
  readonly name: string;
  readonly port: number;
  /** Everything received so far, in order of arrival. */
  events(): readonly BackendEvent[];
  close(): Promise<void>;
}

/**
 * An HTTP backend that records every request it receives (method, target, headers, body
 * length, connection) and answers each with 200 naming the request it answers
 * (`x-echo-method`, `x-echo-path`), so a client can tell whose answer it got. Bytes it
 * cannot parse are recorded too. Listens on loopback unless told otherwise.
 */
export async function startRecordingBackend(
  name: string,
  options: { host?: string; port?: number } = {},
): Promise<RecordingBackend> {
  const events: BackendEvent[] = [];
  const connections = new WeakMap<Socket, number>();
  let connectionCount = 0;
  const connectionOf = (socket: Socket) => {
    let id = connections.get(socket);
    if (id === undefined) {
      connectionCount += 1;
      id = connectionCount;
      connections.set(socket, id);
    }
    return id;
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    let bodyLength = 0;
    req.on('data', (chunk: Buffer) => {
      bodyLength += chunk.length;
    });
    req.on('end', () => {
      const path = req.url ?? '';
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
      }
      events.push({
        kind: 'request',
        backend: name,
        method: req.method ?? '',
        path,
        headers,
        rawHeaders: [...req.rawHeaders],
        bodyLength,
        connection: connectionOf(req.socket),
      });
      const body = JSON.stringify({ backend: name, method: req.method, path, body_length: bodyLength });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-echo-method': req.method ?? '',
        'x-echo-path': encodeURI(path),
        'x-echo-backend': name,
      });
      res.end(body);
    });
  });
  server.on('connection', connectionOf);
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    if (err.code !== 'ECONNRESET') {
      events.push({
        kind: 'unparseable',
        backend: name,
        code: err.code ?? 'unknown',
        bytes: (err.rawPacket ?? Buffer.alloc(0)).subarray(0, 200).toString('latin1'),
        connection: connectionOf(socket),
      });
    }
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  return {
    name,
    port: (server.address() as AddressInfo).port,
    events: () => [...events],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A request the client frames (as RFC 9112 reads the bytes): it may reach a backend, once. */
export interface FramedRequest {
  readonly method: string;
  readonly path: string;
}

export type SmugglingFamily =
  | 'CL.TE'
  | 'TE.CL'
  | 'TE.TE'
  | 'bodiless-chunked'
  | 'bodiless-length'
  | 'CL.CL'
  | 'chunk-syntax'
  | 'pipelined'
  | 'expect';

/** What a case is built from: paths that carry the case's token, and the hidden request. */
export interface CaseContext {
  /** The Host header value every request of the corpus carries. */
  readonly host: string;
  /** A path of this case that the client frames as a request. */
  path(name: string): string;
  /** A complete request hidden in the case's bytes; reaching any backend is smuggling. */
  readonly hidden: string;
}

export interface SmugglingCase {
  readonly id: string;
  readonly family: SmugglingFamily;
  readonly description: string;
  /**
   * Statuses besides 400 with which a proxy may refuse the case (RFC 9112 §6.1: 501 for a
   * transfer coding it does not implement).
   */
  readonly alsoRefusedWith?: readonly number[];
  build(ctx: CaseContext): { readonly bytes: string; readonly framed: readonly FramedRequest[] };
}

const CRLF = '\r\n';
const head = (lines: readonly string[]) => `${lines.join(CRLF)}${CRLF}${CRLF}`;
const chunk = (data: string) => `${Buffer.byteLength(data, 'latin1').toString(16)}${CRLF}${data}${CRLF}`;
const LAST_CHUNK = `0${CRLF}${CRLF}`;
const len = (s: string) => Buffer.byteLength(s, 'latin1');

/**
 * Ways to spell (or misspell) chunked framing, as header lines. Some are valid and mean
 * chunked (`CHUNKED`, a tab), the others are invalid or mean another coding; a proxy and a
 * backend that disagree on which is which are the TE.TE attack. Each is a Transfer-Encoding
 * field under any reading RFC 9112 allows (so not `Transfer_Encoding`, nor a line folded into
 * another field: with those, the bytes after the head are, correctly, a next request).
 */
const TE_SPELLINGS: ReadonlyArray<readonly [string, readonly string[], readonly number[]]> = [
  ['xchunked', ['Transfer-Encoding: xchunked'], [501]],
  ['space-before-colon', ['Transfer-Encoding : chunked'], []],
  ['duplicate-chunked-first', ['Transfer-Encoding: chunked', 'Transfer-Encoding: x'], [501]],
  ['duplicate-chunked-last', ['Transfer-Encoding: x', 'Transfer-Encoding: chunked'], [501]],
  ['tab', ['Transfer-Encoding:\tchunked'], []],
  ['chunked-not-last', ['Transfer-Encoding: chunked, identity'], [501]],
  ['upper-case', ['Transfer-Encoding: CHUNKED'], []],
  ['quoted', ['Transfer-Encoding: "chunked"'], [501]],
  ['obs-fold', ['Transfer-Encoding:', ' chunked'], []],
  ['bare-lf', ['X-Pad: x\nTransfer-Encoding: chunked'], []],
  ['vertical-tab', ['Transfer-Encoding: chunked\x0b'], [501]],
  ['gzip-then-chunked', ['Transfer-Encoding: gzip, chunked'], [501]],
];

const BODILESS = ['GET', 'HEAD', 'DELETE', 'OPTIONS'] as const;

/** The corpus: every case builds its bytes from the context it is given. */
export function smugglingCorpus(): readonly SmugglingCase[] {
  const cases: SmugglingCase[] = [];
  const post = (ctx: CaseContext, extra: readonly string[]) =>
    head([`POST ${ctx.path('a')} HTTP/1.1`, `Host: ${ctx.host}`, ...extra]);

  cases.push(
    {
      id: 'cl-te/content-length-first',
      family: 'CL.TE',
      description: 'Content-Length covers a chunked body that ends early, then the hidden request',
      build: (ctx) => {
        const body = `${LAST_CHUNK}${ctx.hidden}`;
        return {
          bytes: post(ctx, [`Content-Length: ${len(body)}`, 'Transfer-Encoding: chunked']) + body,
          framed: [{ method: 'POST', path: ctx.path('a') }],
        };
      },
    },
    {
      id: 'cl-te/transfer-encoding-first',
      family: 'CL.TE',
      description: 'as above, Transfer-Encoding before Content-Length',
      build: (ctx) => {
        const body = `${LAST_CHUNK}${ctx.hidden}`;
        return {
          bytes: post(ctx, ['Transfer-Encoding: chunked', `Content-Length: ${len(body)}`]) + body,
          framed: [{ method: 'POST', path: ctx.path('a') }],
        };
      },
    },
    {
      id: 'cl-te/get',
      family: 'CL.TE',
      description: 'CL.TE on a GET',
      build: (ctx) => {
        const body = `${LAST_CHUNK}${ctx.hidden}`;
        return {
          bytes:
            head([
              `GET ${ctx.path('a')} HTTP/1.1`,
              `Host: ${ctx.host}`,
              `Content-Length: ${len(body)}`,
              'Transfer-Encoding: chunked',
            ]) + body,
          framed: [{ method: 'GET', path: ctx.path('a') }],
        };
      },
    },
    {
      id: 'te-cl/size-line-only',
      family: 'TE.CL',
      description: 'chunked body whose chunk is the hidden request; Content-Length covers the size line only',
      build: (ctx) => {
        const body = `${chunk(ctx.hidden)}${LAST_CHUNK}`;
        const sizeLine = `${len(ctx.hidden).toString(16)}${CRLF}`;
        return {
          bytes: post(ctx, [`Content-Length: ${len(sizeLine)}`, 'Transfer-Encoding: chunked']) + body,
          framed: [{ method: 'POST', path: ctx.path('a') }],
        };
      },
    },
    {
      id: 'te-cl/content-length-zero',
      family: 'TE.CL',
      description: 'chunked body whose chunk is the hidden request, with Content-Length: 0',
      build: (ctx) => ({
        bytes:
          post(ctx, ['Content-Length: 0', 'Transfer-Encoding: chunked']) + chunk(ctx.hidden) + LAST_CHUNK,
        framed: [{ method: 'POST', path: ctx.path('a') }],
      }),
    },
  );

  for (const [name, lines, refusals] of TE_SPELLINGS) {
    cases.push(
      {
        id: `te-te/${name}/with-short-content-length`,
        family: 'TE.TE',
        description: `${JSON.stringify(lines)}; chunk = hidden request; Content-Length covers the size line`,
        alsoRefusedWith: refusals,
        build: (ctx) => {
          const sizeLine = `${len(ctx.hidden).toString(16)}${CRLF}`;
          return {
            bytes: post(ctx, [`Content-Length: ${len(sizeLine)}`, ...lines]) + chunk(ctx.hidden) + LAST_CHUNK,
            framed: [{ method: 'POST', path: ctx.path('a') }],
          };
        },
      },
      {
        id: `te-te/${name}/with-long-content-length`,
        family: 'TE.TE',
        description: `${JSON.stringify(lines)}; chunked body ends early; Content-Length covers the hidden request`,
        alsoRefusedWith: refusals,
        build: (ctx) => {
          const body = `${LAST_CHUNK}${ctx.hidden}`;
          return {
            bytes: post(ctx, [`Content-Length: ${len(body)}`, ...lines]) + body,
            framed: [{ method: 'POST', path: ctx.path('a') }],
          };
        },
      },
      {
        id: `te-te/${name}/without-content-length`,
        family: 'TE.TE',
        description: `${JSON.stringify(lines)}, no Content-Length; the hidden request follows the header`,
        alsoRefusedWith: refusals,
        build: (ctx) => ({
          bytes: post(ctx, lines) + ctx.hidden,
          framed: [{ method: 'POST', path: ctx.path('a') }],
        }),
      },
    );
  }

  for (const method of BODILESS) {
    cases.push(
      {
        id: `bodiless-chunked/${method.toLowerCase()}`,
        family: 'bodiless-chunked',
        description: `${method} with a chunked body whose chunk is the hidden request`,
        build: (ctx) => ({
          bytes:
            head([`${method} ${ctx.path('a')} HTTP/1.1`, `Host: ${ctx.host}`, 'Transfer-Encoding: chunked']) +
            chunk(ctx.hidden) +
            LAST_CHUNK,
          framed: [{ method, path: ctx.path('a') }],
        }),
      },
      {
        id: `bodiless-length/${method.toLowerCase()}`,
        family: 'bodiless-length',
        description: `${method} with a Content-Length body that is the hidden request`,
        build: (ctx) => ({
          bytes:
            head([
              `${method} ${ctx.path('a')} HTTP/1.1`,
              `Host: ${ctx.host}`,
              `Content-Length: ${len(ctx.hidden)}`,
            ]) + ctx.hidden,
          framed: [{ method, path: ctx.path('a') }],
        }),
      },
    );
  }

  const lengthCases: ReadonlyArray<readonly [string, string, (n: number) => readonly string[]]> = [
    [
      'zero-then-length',
      'two differing Content-Length lines, 0 first',
      (n) => ['Content-Length: 0', `Content-Length: ${n}`],
    ],
    [
      'length-then-zero',
      'two differing Content-Length lines, 0 last',
      (n) => [`Content-Length: ${n}`, 'Content-Length: 0'],
    ],
    ['list', 'one Content-Length line listing two values', (n) => [`Content-Length: 0, ${n}`]],
    [
      'identical-duplicate',
      'the same Content-Length twice (valid: one length)',
      (n) => [`Content-Length: ${n}`, `Content-Length: ${n}`],
    ],
    ['plus-sign', 'Content-Length with a + sign', (n) => [`Content-Length: +${n}`]],
    ['negative', 'Content-Length: -1', () => ['Content-Length: -1']],
  ];
  for (const [name, description, lines] of lengthCases) {
    cases.push({
      id: `cl-cl/${name}`,
      family: 'CL.CL',
      description: `${description}; the body is the hidden request`,
      build: (ctx) => ({
        bytes: post(ctx, lines(len(ctx.hidden))) + ctx.hidden,
        framed: [{ method: 'POST', path: ctx.path('a') }],
      }),
    });
  }

  cases.push(
    {
      id: 'chunk-syntax/bare-lf',
      family: 'chunk-syntax',
      description: 'chunk lines ended by a bare LF, then the hidden request',
      build: (ctx) => ({
        bytes: `${post(ctx, ['Transfer-Encoding: chunked'])}5\nhello\n0\n\n${ctx.hidden}`,
        framed: [{ method: 'POST', path: ctx.path('a') }],
      }),
    },
    {
      id: 'chunk-syntax/size-overflow',
      family: 'chunk-syntax',
      description: 'a chunk size past 64 bits, whose truncation would be small, then the hidden request',
      build: (ctx) => ({
        bytes: `${post(ctx, ['Transfer-Encoding: chunked'])}10000000000000005\r\nhello\r\n${LAST_CHUNK}${ctx.hidden}`,
        framed: [{ method: 'POST', path: ctx.path('a') }],
      }),
    },
    {
      id: 'chunk-syntax/request-as-trailer',
      family: 'chunk-syntax',
      description: 'the hidden request where the trailer section goes',
      build: (ctx) => ({
        bytes: `${post(ctx, ['Transfer-Encoding: chunked'])}0\r\n${ctx.hidden}`,
        framed: [{ method: 'POST', path: ctx.path('a') }],
      }),
    },
    {
      id: 'chunk-syntax/http-1.0-chunked',
      family: 'chunk-syntax',
      description:
        'HTTP/1.0 (no chunked coding) with Transfer-Encoding: chunked and a covering Content-Length',
      build: (ctx) => {
        const body = `${LAST_CHUNK}${ctx.hidden}`;
        return {
          bytes:
            head([
              `POST ${ctx.path('a')} HTTP/1.0`,
              `Host: ${ctx.host}`,
              'Transfer-Encoding: chunked',
              `Content-Length: ${len(body)}`,
            ]) + body,
          framed: [{ method: 'POST', path: ctx.path('a') }],
        };
      },
    },
  );

  cases.push(
    {
      id: 'pipelined/two-gets',
      family: 'pipelined',
      description: 'two GETs in one write: both answered, in order',
      build: (ctx) => ({
        bytes:
          head([`GET ${ctx.path('a')} HTTP/1.1`, `Host: ${ctx.host}`]) +
          head([`GET ${ctx.path('b')} HTTP/1.1`, `Host: ${ctx.host}`]),
        framed: [
          { method: 'GET', path: ctx.path('a') },
          { method: 'GET', path: ctx.path('b') },
        ],
      }),
    },
    {
      id: 'pipelined/body-that-looks-like-a-request',
      family: 'pipelined',
      description: 'a POST whose body is the hidden request, then a GET',
      build: (ctx) => ({
        bytes:
          post(ctx, [`Content-Length: ${len(ctx.hidden)}`]) +
          ctx.hidden +
          head([`GET ${ctx.path('b')} HTTP/1.1`, `Host: ${ctx.host}`]),
        framed: [
          { method: 'POST', path: ctx.path('a') },
          { method: 'GET', path: ctx.path('b') },
        ],
      }),
    },
    {
      id: 'pipelined/chunked-delete-then-get',
      family: 'pipelined',
      description: 'a chunked DELETE (chunk = hidden request), then a GET',
      build: (ctx) => ({
        bytes:
          head([`DELETE ${ctx.path('a')} HTTP/1.1`, `Host: ${ctx.host}`, 'Transfer-Encoding: chunked']) +
          chunk(ctx.hidden) +
          LAST_CHUNK +
          head([`GET ${ctx.path('b')} HTTP/1.1`, `Host: ${ctx.host}`]),
        framed: [
          { method: 'DELETE', path: ctx.path('a') },
          { method: 'GET', path: ctx.path('b') },
        ],
      }),
    },
    {
      id: 'pipelined/three-mixed',
      family: 'pipelined',
      description: 'POST with Expect and a body, chunked OPTIONS, HEAD: all answered in order',
      build: (ctx) => ({
        bytes:
          post(ctx, ['Expect: 100-continue', `Content-Length: ${len(ctx.hidden)}`]) +
          ctx.hidden +
          head([`OPTIONS ${ctx.path('b')} HTTP/1.1`, `Host: ${ctx.host}`, 'Transfer-Encoding: chunked']) +
          chunk(ctx.hidden) +
          LAST_CHUNK +
          head([`HEAD ${ctx.path('c')} HTTP/1.1`, `Host: ${ctx.host}`]),
        framed: [
          { method: 'POST', path: ctx.path('a') },
          { method: 'OPTIONS', path: ctx.path('b') },
          { method: 'HEAD', path: ctx.path('c') },
        ],
      }),
    },
  );

  cases.push(
    {
      id: 'expect/content-length-body-at-once',
      family: 'expect',
      description: 'Expect: 100-continue with the body (the hidden request) sent without waiting',
      build: (ctx) => ({
        bytes: post(ctx, ['Expect: 100-continue', `Content-Length: ${len(ctx.hidden)}`]) + ctx.hidden,
        framed: [{ method: 'POST', path: ctx.path('a') }],
      }),
    },
    {
      id: 'expect/chunked',
      family: 'expect',
      description: 'Expect: 100-continue with a chunked body (chunk = hidden request)',
      build: (ctx) => ({
        bytes:
          post(ctx, ['Expect: 100-continue', 'Transfer-Encoding: chunked']) + chunk(ctx.hidden) + LAST_CHUNK,
        framed: [{ method: 'POST', path: ctx.path('a') }],
      }),
    },
    {
      id: 'expect/chunked-get',
      family: 'expect',
      description: 'a GET with Expect: 100-continue and a chunked body (chunk = hidden request)',
      build: (ctx) => ({
        bytes:
          head([
            `GET ${ctx.path('a')} HTTP/1.1`,
            `Host: ${ctx.host}`,
            'Expect: 100-continue',
            'Transfer-Encoding: chunked',
          ]) +
          chunk(ctx.hidden) +
          LAST_CHUNK,
        framed: [{ method: 'GET', path: ctx.path('a') }],
      }),
    },
    {
      id: 'expect/cl-te',
      family: 'expect',
      description: 'Expect: 100-continue on a CL.TE request',
      build: (ctx) => {
        const body = `${LAST_CHUNK}${ctx.hidden}`;
        return {
          bytes:
            post(ctx, [
              'Expect: 100-continue',
              `Content-Length: ${len(body)}`,
              'Transfer-Encoding: chunked',
            ]) + body,
          framed: [{ method: 'POST', path: ctx.path('a') }],
        };
      },
    },
  );
  return cases;
}

/** One answer as the client read it off the connection. */
export interface ParsedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const NO_BODY_STATUS = (status: number) =>
  status === 204 || status === 304 || (status >= 100 && status < 200);

/**
 * Reads complete final answers (1xx skipped) off a buffer; the n-th answer's body framing
 * follows the n-th request's method (no body after HEAD). `ended`: the connection has
 * closed, which completes a close-delimited body.
 */
export function parseResponses(
  data: Buffer,
  methods: readonly string[],
  ended: boolean,
): { responses: ParsedResponse[]; malformed: boolean } {
  const text = data.toString('latin1');
  const responses: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) return { responses, malformed: ended && text.slice(at).trim() !== '' };
    const [statusLine = '', ...lines] = text.slice(at, end).split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (match === null) return { responses, malformed: true };
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let next = end + 4;
    let body = '';
    const method = methods[responses.length] ?? 'GET';
    if (status < 200) {
      at = next;
      continue;
    }
    if (method === 'HEAD' || NO_BODY_STATUS(status)) {
      // no body
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      let cursor = next;
      const parts: string[] = [];
      for (;;) {
        const lineEnd = text.indexOf('\r\n', cursor);
        if (lineEnd < 0) return { responses, malformed: ended };
        const size = Number.parseInt(text.slice(cursor, lineEnd).split(';')[0] ?? '', 16);
        if (Number.isNaN(size)) return { responses, malformed: true };
        if (size === 0) {
          const trailerEnd = text.indexOf('\r\n\r\n', lineEnd);
          const emptyTrailer = text.startsWith('\r\n\r\n', lineEnd);
          if (!emptyTrailer && trailerEnd < 0) return { responses, malformed: ended };
          next = emptyTrailer ? lineEnd + 4 : trailerEnd + 4;
          break;
        }
        if (lineEnd + 2 + size + 2 > text.length) return { responses, malformed: ended };
        parts.push(text.slice(lineEnd + 2, lineEnd + 2 + size));
        cursor = lineEnd + 2 + size + 2;
      }
      body = parts.join('');
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (next + length > text.length) return { responses, malformed: ended };
      body = text.slice(next, next + length);
      next += length;
    } else {
      if (!ended) return { responses, malformed: false };
      body = text.slice(next);
      next = text.length;
    }
    responses.push({ status, headers, body });
    at = next;
  }
  return { responses, malformed: false };
}

export interface Exchange {
  readonly responses: readonly ParsedResponse[];
  /** The connection was reset (not closed cleanly). */
  readonly reset: boolean;
  /** Bytes that are not HTTP answers. */
  readonly malformed: boolean;
}

export interface ExchangeOptions {
  /** How long to wait for the answers, and then for the close (default 3000 ms each). */
  readonly timeoutMs?: number;
  /**
   * Read nothing until every byte is written (a client that uploads before it reads): an
   * answer sent early then waits in the kernel, where a reset from the server destroys it.
   */
  readonly readAfterSending?: boolean;
}

/**
 * Sends bytes on a new connection and reads the answers to `methods` (one per framed
 * request) until they all came or one refuses and closes (then half-closes, and reads
 * until the proxy closes) or `timeoutMs` passes (then half-closes too); `timeoutMs` later the
 * connection is dropped whatever happens.
 */
export function exchange(
  target: { host: string; port: number },
  bytes: string | Buffer,
  methods: readonly string[],
  options: ExchangeOptions = {},
): Promise<Exchange> {
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise((resolve) => {
    const socket = connect(target.port, target.host);
    if (options.readAfterSending === true) socket.pause();
    const chunks: Buffer[] = [];
    let reset = false;
    let halfClosed = false;
    const halfClose = () => {
      if (halfClosed) return;
      halfClosed = true;
      socket.end();
      setTimeout(() => socket.destroy(), timeoutMs).unref();
    };
    const answerTimer = setTimeout(halfClose, timeoutMs);
    answerTimer.unref();
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const { responses } = parseResponses(Buffer.concat(chunks), methods, false);
      // A refusal that closes the connection ends the exchange too.
      const closing = responses.some((r) => r.status >= 400 && /close/i.test(r.headers.connection ?? ''));
      if (responses.length >= methods.length || closing) halfClose();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') reset = true;
    });
    socket.on('close', () => {
      clearTimeout(answerTimer);
      const parsed = parseResponses(Buffer.concat(chunks), methods, true);
      resolve({ responses: parsed.responses, reset, malformed: parsed.malformed });
    });
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, () => socket.resume());
  });
}

export interface CaseVerdict {
  readonly id: string;
  readonly family: SmugglingFamily;
  readonly description: string;
  readonly passed: boolean;
  /** Requests that reached a backend although the client did not frame them. */
  readonly smuggled: readonly BackendEvent[];
  /** What went wrong besides smuggling (wrong, missing or extra answers, desynchronised probes). */
  readonly problems: readonly string[];
  /** The statuses the client read, in order. */
  readonly statuses: readonly number[];
}

export interface CorpusReport {
  readonly cases: readonly CaseVerdict[];
  readonly passed: number;
  readonly failed: number;
  /** Requests smuggled to a backend, over all cases, plus anything a backend could not attribute. */
  readonly smuggled: number;
  /** Backend events that belong to no case (a mangled request line, unparseable bytes). */
  readonly unattributed: readonly BackendEvent[];
}

export interface CorpusTarget {
  /** The proxy under test (an entrypoint). */
  readonly host: string;
  readonly port: number;
  /** Host header that routes to the recording backends (default `localhost`). */
  readonly hostHeader?: string;
  /** Path prefix the proxy routes to them (default none). */
  readonly pathPrefix?: string;
  /** Everything the backends behind the proxy have received so far. */
  readonly seen: () => readonly BackendEvent[] | Promise<readonly BackendEvent[]>;
}

const TOKEN = /\/__(?:corpus|smuggled|probe)\/(r[0-9a-z]+c\d+)(?:\/|$|\?)/;

function tokenOf(event: BackendEvent): string | undefined {
  if (event.kind === 'unparseable') return undefined;
  const hidden = event.headers['x-corpus-hidden'];
  if (hidden !== undefined) return hidden.split(',')[0]?.trim();
  return TOKEN.exec(event.path)?.[1];
}

/**
 * Runs every case against one proxy entrypoint, one at a time: the case's bytes on a new
 * connection, then probes on fresh connections (a desynchronised backend connection
 * answers a probe with another request's answer). Verdicts come from what the backends
 * received, read once all cases ran (late arrivals count): a case passes when no request
 * reached a backend that the client did not frame, every framed request was answered by
 * its own answer or the proxy refused with 400 (or a status the case allows), and the
 * probes after it got their own answers.
 */
export async function runSmugglingCorpus(
  target: CorpusTarget,
  options: { cases?: readonly SmugglingCase[]; timeoutMs?: number; probes?: number } = {},
): Promise<CorpusReport> {
  const cases = options.cases ?? smugglingCorpus();
  const run = `r${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const host = target.hostHeader ?? 'localhost';
  const prefix = target.pathPrefix ?? '';
  const built = cases.map((c, i) => {
    const token = `${run}c${i}`;
    const ctx: CaseContext = {
      host,
      path: (name) => `${prefix}/__corpus/${token}/${name}`,
      hidden: head([
        `GET ${prefix}/__smuggled/${token} HTTP/1.1`,
        `Host: ${host}`,
        'X-Canary: 123',
        `X-Corpus-Hidden: ${token}`,
        'Content-Length: 0',
      ]),
    };
    return { c, token, ...c.build(ctx) };
  });

  const answers = new Map<string, { exchange: Exchange; probeProblems: string[] }>();
  for (const b of built) {
    const result = await exchange(
      target,
      b.bytes,
      b.framed.map((f) => f.method),
      { timeoutMs: options.timeoutMs ?? 3000 },
    );
    const probeProblems: string[] = [];
    for (let k = 0; k < (options.probes ?? 2); k += 1) {
      const path = `${prefix}/__probe/${b.token}/${k}`;
      const probe = await exchange(
        target,
        head([`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close']),
        ['GET'],
        { timeoutMs: options.timeoutMs ?? 3000 },
      );
      const [first] = probe.responses;
      if (first?.status !== 200 || decodeURI(first.headers['x-echo-path'] ?? '') !== path) {
        probeProblems.push(
          `probe ${k} after the case got ${first === undefined ? 'no answer' : `${first.status} for ${first.headers['x-echo-path'] ?? '?'}`}`,
        );
      }
    }
    answers.set(b.token, { exchange: result, probeProblems });
  }

  const events = await target.seen();
  const byToken = new Map<string, BackendEvent[]>();
  const unattributed: BackendEvent[] = [];
  for (const event of events) {
    const token = tokenOf(event);
    if (token === undefined || !built.some((b) => b.token === token)) {
      if (token === undefined) unattributed.push(event);
      continue;
    }
    byToken.set(token, [...(byToken.get(token) ?? []), event]);
  }

  const verdicts = built.map((b): CaseVerdict => {
    const { exchange: ex, probeProblems } = answers.get(b.token) ?? {
      exchange: { responses: [], reset: false, malformed: false },
      probeProblems: [],
    };
    const allowed = b.framed.map((f) => `${f.method} ${f.path}`);
    const smuggled: BackendEvent[] = [];
    for (const event of byToken.get(b.token) ?? []) {
      if (event.kind !== 'request') continue;
      if (event.path.includes('/__probe/') && event.headers['x-corpus-hidden'] === undefined) continue;
      const key = `${event.method} ${event.path}`;
      const at = event.headers['x-corpus-hidden'] === undefined ? allowed.indexOf(key) : -1;
      if (at >= 0) allowed.splice(at, 1);
      else smuggled.push(event);
    }
    const problems = [...probeProblems];
    const refusals = new Set([400, ...(b.c.alsoRefusedWith ?? [])]);
    let refused = false;
    ex.responses.forEach((response, i) => {
      if (refused) {
        problems.push(`answer ${i + 1} (${response.status}) after the proxy refused the request`);
        return;
      }
      if (refusals.has(response.status)) {
        refused = true;
        return;
      }
      const framed = b.framed[i];
      const echoed = `${response.headers['x-echo-method'] ?? '?'} ${decodeURI(response.headers['x-echo-path'] ?? '?')}`;
      if (framed === undefined) problems.push(`an extra answer ${response.status} for ${echoed}`);
      else if (response.status !== 200)
        problems.push(`${framed.method} ${framed.path} answered ${response.status}`);
      else if (echoed !== `${framed.method} ${framed.path}`)
        problems.push(`${framed.method} ${framed.path} got the answer of ${echoed}`);
    });
    if (!refused && ex.responses.length < b.framed.length) {
      problems.push(
        `${b.framed.length - ex.responses.length} framed request(s) got no answer${ex.reset ? ' (connection reset)' : ''}`,
      );
    }
    if (ex.malformed) problems.push('the proxy sent bytes that are not an HTTP answer');
    return {
      id: b.c.id,
      family: b.c.family,
      description: b.c.description,
      passed: smuggled.length === 0 && problems.length === 0,
      smuggled,
      problems,
      statuses: ex.responses.map((r) => r.status),
    };
  });
  const smuggledCount = verdicts.reduce((n, v) => n + v.smuggled.length, 0) + unattributed.length;
  return {
    cases: verdicts,
    passed: verdicts.filter((v) => v.passed).length,
    failed: verdicts.filter((v) => !v.passed).length,
    smuggled: smuggledCount,
    unattributed,
  };
}

/** One line per failed case, for an assertion message. */
export function describeFailures(report: CorpusReport): string {
  const lines = report.cases
    .filter((v) => !v.passed)
    .map(
      (v) =>
        `${v.id}: statuses [${v.statuses.join(', ')}]${v.smuggled.length > 0 ? `; smuggled ${v.smuggled.map((e) => (e.kind === 'request' ? `${e.method} ${e.path} → ${e.backend}` : `${e.code} on ${e.backend}`)).join('; ')}` : ''}${v.problems.length > 0 ? `; ${v.problems.join('; ')}` : ''}`,
    );
  for (const e of report.unattributed) {
    lines.push(
      `unattributed: ${e.kind === 'request' ? `${e.method} ${e.path} → ${e.backend}` : `${e.code} on ${e.backend}: ${JSON.stringify(e.bytes)}`}`,
    );
  }
  return lines.join('\n');
}
