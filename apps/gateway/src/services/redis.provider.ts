import { Redis } from 'ioredis';

export const REDIS = Symbol('REDIS');

/** A client that fails fast while Redis is down instead of queueing commands without bound. */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 5_000, lazyConnect: false });
}
