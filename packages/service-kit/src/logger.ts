import type { ServiceIdentity } from 'canary-context';
import { currentCanaryKey } from 'canary-context';
import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs on stdout, each line stamped with the service, its track and the
 * current request's canary key. Bodies and headers are never logged.
 */
export function createLogger(identity: ServiceIdentity, level: string): Logger {
  return pino({
    level,
    base: { service: identity.service, track: identity.track, version: identity.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const canary = currentCanaryKey();
      return canary === undefined ? {} : { canary };
    },
  });
}

export type { Logger };
