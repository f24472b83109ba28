import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.ts';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Half of a surrogate pair on its own: no Unicode character (JSON can write one as "\ud800"). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether every string in a parsed JSON value (keys included) is Unicode text. */
function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(wellFormed);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).every(([key, v]) => !LONE_SURROGATE.test(key) && wellFormed(v));
  return true;
}

type ParseDone = (err: Error | null, body?: unknown) => void;
type BodyParser<Raw> = (request: FastifyRequest, body: Raw, done: ParseDone) => void;

/**
 * Fastify's JSON parser, on a body that is UTF-8 text: its default decodes bytes that are
 * not (0xC3 0x28, overlong forms, surrogates encoded on their own) as U+FFFD, and the item
 * would be stored with replacement characters the client never sent.
 */
function jsonBodyParser(app: FastifyInstance): BodyParser<Buffer> {
  // The default is the callback form (it parses with prototype poisoning refused).
  const parse = app.getDefaultJsonParser('error', 'error') as BodyParser<string>;
  return (request, body, done) => {
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch {
      done(new ApiError(400, 'invalid_argument', 'the body is not valid UTF-8'), undefined);
      return;
    }
    parse(request, text, (err, parsed) => {
      if (err === null && !wellFormed(parsed)) {
        const message = 'the body holds a lone surrogate (\\uD800-\\uDFFF): not Unicode text';
        done(new ApiError(400, 'invalid_argument', message), undefined);
        return;
      }
      done(err, parsed);
    });
  };
}

/** Bodies are JSON in UTF-8 only: any other body type is 415, not a string the schema then rejects. */
export const strictJsonBodies = fp(
  async (app: FastifyInstance) => {
    app.removeContentTypeParser('text/plain');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBodyParser(app));
  },
  { name: 'strict-json-bodies' },
);
