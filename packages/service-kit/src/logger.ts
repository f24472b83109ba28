import { trace } from '@opentelemetry/api';
import type { ServiceIdentity } from 'canary-context';
import { currentCanaryKey } from 'canary-context';
import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs on stdout, each line stamped with the service, its track, the
 * current trace and span, and the request's canary key. Bodies and headers are never logged.
 */
export function createLogger(identity: ServiceIdentity, level: string): Logger {
  return pino({
    level,
    base: { service: identity.service, track: identity.track, version: identity.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Every line inside a request carries its trace and span ids and its canary key.
    mixin() {
      const canary = currentCanaryKey();
      const span = trace.getActiveSpan()?.spanContext();
      return {
        ...(span === undefined || span.traceId === '00000000000000000000000000000000'
          ? {}
          : { trace_id: span.traceId, span_id: span.spanId }),
        ...(canary === undefined ? {} : { canary }),
      };
    },
  });
}

export type { Logger };
