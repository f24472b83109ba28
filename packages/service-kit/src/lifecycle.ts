import type { Logger } from 'pino';

const shutdownTasks: Array<() => Promise<void>> = [];

/** Work to finish before the process exits after draining (e.g. flushing spans). */
export function addShutdownTask(task: () => Promise<void>): void {
  shutdownTasks.push(task);
}

/** The line a service prints once it serves traffic; the lab and tests wait for it. */
export const READY_EVENT = 'ready';

export function logReady(logger: Logger, ports: Record<string, number>): void {
  logger.info({ event: READY_EVENT, ...ports }, 'ready');
}

/**
 * Calls `shutdown` once on SIGTERM or SIGINT, then exits 0 (1 if shutdown failed). A
 * second signal while draining exits at once.
 */
export function handleShutdownSignals(logger: Logger, shutdown: (signal: string) => Promise<void>): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      logger.warn({ signal }, 'second signal while draining: exiting now');
      process.exit(1);
    }
    draining = true;
    logger.info({ signal }, 'draining');
    shutdown(signal)
      .then(() => Promise.allSettled(shutdownTasks.map((task) => task())))
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Prints a boot failure (bad configuration, port in use…) and exits 1. */
export function exitOnBootFailure(service: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${service}: ${message}\n`);
  process.exit(1);
}
