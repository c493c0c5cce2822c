import type { EventEmitter } from 'node:events';
import type { Logger } from '@mfa/observability';

/** While a connection keeps failing (ioredis retries every 2 s at most), one line per this long. */
export const REPEATED_ERROR_LOG_MS = 30_000;

export interface ErrorLogOptions {
  logger: Logger;
  /** Names the connection in each line: `request`, `bull`, `worker events`, … */
  connection: string;
  /** Whose `ready` event ends an outage; the emitter itself by default. */
  readySource?: EventEmitter;
  repeatMs?: number;
  now?: () => number;
}

/**
 * Listens to `emitter`'s errors (an ioredis connection, or a BullMQ object that re-emits its
 * connections' errors) and logs them as one JSON line each, throttled: the first error of an
 * outage, then at most one line per `repeatMs` with the count of errors in between, and one line
 * when the connection is ready again. Without a listener ioredis and BullMQ print every
 * reconnect attempt as a multi-line stack trace on stderr.
 */
export function logConnectionErrors(emitter: EventEmitter, options: ErrorLogOptions): void {
  const { logger, connection, repeatMs = REPEATED_ERROR_LOG_MS, now = Date.now } = options;
  let failingSince: number | undefined;
  let lastLine = 0;
  let unlogged = 0;
  emitter.on('error', (error: Error) => {
    const at = now();
    if (failingSince === undefined) {
      failingSince = at;
      logger.error({ connection, err: error }, 'redis connection error');
    } else if (at - lastLine >= repeatMs) {
      logger.error({ connection, err: error, failingForMs: at - failingSince, errorsSinceLastLine: unlogged + 1 }, 'redis connection still failing');
    } else {
      unlogged += 1;
      return;
    }
    lastLine = at;
    unlogged = 0;
  });
  (options.readySource ?? emitter).on('ready', () => {
    if (failingSince === undefined) return;
    logger.info({ connection, failedForMs: now() - failingSince }, 'redis connection recovered');
    failingSince = undefined;
    unlogged = 0;
  });
}
