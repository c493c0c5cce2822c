import { Redis, type RedisOptions } from 'ioredis';

/**
 * `REDIS_URL` names either one server (`redis://` or `rediss://`) or a Sentinel-managed group:
 * `redis-sentinel://[:password@]host:port[,host:port…]/<master name>[?db=N]`. With Sentinel the
 * clients ask the sentinels for the current master, and follow it through a failover.
 */
export function redisConnectionOptions(url: string): { url?: string; options: RedisOptions } {
  if (!url.startsWith('redis-sentinel://')) return { url, options: {} };
  const rest = url.slice('redis-sentinel://'.length);
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  const [hosts, pathAndQuery = ''] = (at >= 0 ? rest.slice(at + 1) : rest).split('/', 2);
  const [name, query = ''] = pathAndQuery.split('?', 2);
  if (!hosts || !name) throw new Error('REDIS_URL redis-sentinel:// needs host:port[,host:port…]/<master name>');
  const sentinels = hosts.split(',').map((entry) => {
    const [host, port = '26379'] = entry.split(':');
    return { host, port: Number(port) };
  });
  const password = credentials.includes(':') ? decodeURIComponent(credentials.slice(credentials.indexOf(':') + 1)) : undefined;
  const db = Number(new URLSearchParams(query).get('db') ?? 0);
  return { options: { sentinels, name: decodeURIComponent(name), ...(password ? { password, sentinelPassword: password } : {}), db } };
}

function connect(url: string, options: RedisOptions): Redis {
  const target = redisConnectionOptions(url);
  return target.url ? new Redis(target.url, options) : new Redis({ ...target.options, ...options });
}

/**
 * A connection for BullMQ. Workers block on Redis and must never give up on a command
 * (`maxRetriesPerRequest: null`); reconnects back off up to 2 s, so a Redis restart is survived.
 */
export function createBullConnection(url: string, options: RedisOptions = {}): Redis {
  return connect(url, {
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
  return connect(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 3_000,
    commandTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
}
