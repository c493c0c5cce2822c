import { Redis, type RedisOptions } from 'ioredis';

/**
 * A connection for BullMQ. Workers block on Redis and must never give up on a command
 * (`maxRetriesPerRequest: null`); reconnects back off up to 2 s, so a Redis restart is survived.
 */
export function createBullConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
}

/**
 * A connection for request paths (rate limits, code checks, readiness): a command waits at most
 * `commandTimeout` (also while Redis restarts), so the caller answers UNAVAILABLE instead of
 * hanging past its deadline.
 */
export function createRequestConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 3_000,
    commandTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
}
