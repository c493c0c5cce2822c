import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './queue-names';

/** A connection to one server (or a Sentinel-managed group) or to a Redis Cluster: every caller here takes either. */
export type RedisConnection = Redis | Cluster;

/**
 * `REDIS_URL` names one server (`redis://` or `rediss://`), a Sentinel-managed group
 * (`redis-sentinel://[:password@]host:port[,host:port…]/<master name>[?db=N]`: the clients ask
 * the sentinels for the current master and follow it through a failover) or a Redis Cluster
 * (`redis-cluster://[:password@]host:port[,host:port…]`: any of its nodes; the clients learn the
 * rest and follow slot moves and failovers). Every key of the project starts with the hash-tagged
 * `QUEUE_PREFIX` (`{mfa}`), so a queue's keys and each script's keys share one slot.
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

const isClusterUrl = (url: string): boolean => url.startsWith('redis-cluster://');

/** The nodes and credentials of a `redis-cluster://[[user]:password@]host:port[,host:port…]` URL. */
export function redisClusterNodes(url: string): { nodes: ClusterNode[]; username?: string; password?: string } {
  const rest = url.slice('redis-cluster://'.length).replace(/\/+$/, '');
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  const hosts = at >= 0 ? rest.slice(at + 1) : rest;
  if (!hosts || /[/?#]/.test(hosts)) throw new Error('REDIS_URL redis-cluster:// needs host:port[,host:port…] and nothing after it');
  const nodes = hosts.split(',').map((entry) => {
    const [host, port = '6379', extra] = entry.split(':');
    const number = Number(port);
    if (!host || extra !== undefined || !Number.isInteger(number) || number < 1 || number > 65_535) throw new Error(`REDIS_URL redis-cluster://: "${entry}" is not host:port`);
    return { host, port: number };
  });
  const colon = credentials.indexOf(':');
  const username = colon > 0 ? decodeURIComponent(credentials.slice(0, colon)) : undefined;
  const password = colon >= 0 ? decodeURIComponent(credentials.slice(colon + 1)) || undefined : undefined;
  return { nodes, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/**
 * On a cluster every key of one script or queue must hash to one slot: the prefix needs a
 * `{hash tag}`. Returns the problem, for the apps' configuration to refuse at start-up.
 */
export function clusterPrefixProblem(url: string, prefix: string): string | undefined {
  if (!isClusterUrl(url) || /\{[^}]+\}/.test(prefix)) return undefined;
  return `QUEUE_PREFIX "${prefix}" has no {hash tag}: on a Redis Cluster (REDIS_URL redis-cluster://) use one, e.g. {mfa}`;
}

/** `REDIS_URL` and `QUEUE_PREFIX` with their defaults, as every app reads them; throws on a cluster URL with a prefix it cannot use. */
export function redisSettingsFromEnv(env: Record<string, string | undefined>): { redisUrl: string; queuePrefix: string } {
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  const queuePrefix = env.QUEUE_PREFIX || DEFAULT_QUEUE_PREFIX;
  const problem = clusterPrefixProblem(redisUrl, queuePrefix);
  if (problem) throw new Error(problem);
  return { redisUrl, queuePrefix };
}

function connect(url: string, options: RedisOptions): RedisConnection {
  if (isClusterUrl(url)) {
    const { nodes, username, password } = redisClusterNodes(url);
    // Reconnecting, the offline queue and the ready check are the cluster's; the rest is each node connection's.
    const { retryStrategy, enableOfflineQueue, enableReadyCheck, lazyConnect, ...perNode } = options;
    return new Cluster(nodes, {
      redisOptions: { ...perNode, ...(username ? { username } : {}), ...(password ? { password } : {}) },
      ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      ...(enableReadyCheck === undefined ? {} : { enableReadyCheck }),
      ...(lazyConnect === undefined ? {} : { lazyConnect }),
    });
  }
  const target = redisConnectionOptions(url);
  return target.url ? new Redis(target.url, options) : new Redis({ ...target.options, ...options });
}

/**
 * A connection for BullMQ. Workers block on Redis and must never give up on a command
 * (`maxRetriesPerRequest: null`); reconnects back off up to 2 s, so a Redis restart is survived.
 */
export function createBullConnection(url: string, options: RedisOptions = {}): RedisConnection {
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
 * hanging past its deadline. A cluster holds commands in an offline queue of its own, which no
 * timeout covers: there the queue serves only until the cluster is first ready (so the first
 * requests after start-up wait for it), and from then on a command fails at once while the
 * cluster is unreachable.
 */
export function createRequestConnection(url: string, options: RedisOptions = {}): RedisConnection {
  const connection = connect(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 3_000,
    commandTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
  if (connection instanceof Cluster && options.enableOfflineQueue === undefined) {
    connection.once('ready', () => {
      connection.options.enableOfflineQueue = false;
    });
  }
  return connection;
}

/**
 * A second connection like `connection` (for a subscriber or a blocking reader, which cannot
 * share one), with `overrides` on top: for a cluster, to every node connection it opens.
 */
export function duplicateConnection(connection: RedisConnection, overrides: RedisOptions = {}): RedisConnection {
  if (connection instanceof Cluster) {
    const { enableOfflineQueue, ...perNode } = overrides;
    return connection.duplicate(undefined, {
      redisOptions: { ...connection.options.redisOptions, ...perNode },
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    });
  }
  return connection.duplicate(overrides);
}
