import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { createLogger, type Logger } from '@mfa/observability';
import { DEFAULT_QUEUE_PREFIX } from './queue-names';
import { logConnectionErrors } from './redis-error-log';

/** A connection to one server (or a Sentinel-managed group) or to a Redis Cluster: every caller here takes either. */
export type RedisConnection = Redis | Cluster;

const UNSUPPORTED_SCHEME = 'REDIS_URL must start with redis://, rediss://, redis-sentinel:// or redis-cluster://';

const isPort = (text: string): boolean => /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65_535;

/** `host[:port][,host[:port]…]` of a Sentinel or Cluster URL; `defaultPort` where a port is left out. */
function hostList(hosts: string, defaultPort: number, scheme: string): { host: string; port: number }[] {
  return hosts.split(',').map((entry) => {
    const [host, port = String(defaultPort), extra] = entry.split(':');
    if (!host || extra !== undefined || !isPort(port)) throw new Error(`REDIS_URL ${scheme}: "${entry}" is not host:port`);
    return { host, port: Number(port) };
  });
}

/** `redis[s]://[[user]:password@]host[:port][/db][?options]`, as ioredis reads it. */
function checkServerUrl(url: string): void {
  const scheme = url.slice(0, url.indexOf('://') + 3);
  const authority = url.slice(scheme.length).split(/[/?#]/, 1)[0];
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const bracketed = hostPort.startsWith('['); // an IPv6 address: [::1]:6379
  const portAt = bracketed ? (hostPort.includes(']:') ? hostPort.indexOf(']:') + 1 : -1) : hostPort.lastIndexOf(':');
  const host = portAt >= 0 ? hostPort.slice(0, portAt) : hostPort;
  if (!host || host === '[]') throw new Error(`REDIS_URL ${scheme} needs a host: ${scheme}[[user]:password@]host[:port][/db]`);
  if (portAt >= 0 && !isPort(hostPort.slice(portAt + 1))) throw new Error(`REDIS_URL ${scheme}: the port must be a number from 1 to 65535`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`REDIS_URL is not a valid ${scheme} URL: ${scheme}[[user]:password@]host[:port][/db]`);
  }
  if (!/^(\/\d*)?$/.test(parsed.pathname)) throw new Error(`REDIS_URL ${scheme}: the path must be a database number, e.g. /0`);
}

/**
 * `REDIS_URL` names one server (`redis://` or `rediss://`), a Sentinel-managed group
 * (`redis-sentinel://[:password@]host:port[,host:port…]/<master name>[?db=N]`: the clients ask
 * the sentinels for the current master and follow it through a failover) or a Redis Cluster
 * (`redis-cluster://[:password@]host:port[,host:port…]`: any of its nodes; the clients learn the
 * rest and follow slot moves and failovers). Every key of the project starts with the hash-tagged
 * `QUEUE_PREFIX` (`{mfa}`), so a queue's keys and each script's keys share one slot.
 * Any other URL throws (with a message that never quotes it: it may hold a password).
 */
export function redisConnectionOptions(url: string): { url?: string; options: RedisOptions } {
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    checkServerUrl(url);
    return { url, options: {} };
  }
  if (!url.startsWith('redis-sentinel://')) throw new Error(UNSUPPORTED_SCHEME);
  const rest = url.slice('redis-sentinel://'.length);
  const at = rest.lastIndexOf('@');
  const credentials = at >= 0 ? rest.slice(0, at) : '';
  const [hosts, pathAndQuery = ''] = (at >= 0 ? rest.slice(at + 1) : rest).split('/', 2);
  const [name, query = ''] = pathAndQuery.split('?', 2);
  if (!hosts || !name) throw new Error('REDIS_URL redis-sentinel:// needs host:port[,host:port…]/<master name>');
  const sentinels = hostList(hosts, 26_379, 'redis-sentinel://');
  const password = credentials.includes(':') ? decodeURIComponent(credentials.slice(credentials.indexOf(':') + 1)) : undefined;
  const db = Number(new URLSearchParams(query).get('db') ?? 0);
  if (!Number.isInteger(db) || db < 0) throw new Error('REDIS_URL redis-sentinel://: db must be a database number, e.g. ?db=0');
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
  const nodes = hostList(hosts, 6_379, 'redis-cluster://');
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
  // Redis hashes what stands between the first "{" and the "}" after it; an empty one ("{}{mfa}")
  // hashes the whole key, and every key of a queue lands in a slot of its own.
  if (!isClusterUrl(url) || /^[^{]*\{[^}]+\}/.test(prefix)) return undefined;
  return `QUEUE_PREFIX "${prefix}" has no {hash tag}: on a Redis Cluster (REDIS_URL redis-cluster://) use one, e.g. {mfa}`;
}

/**
 * `REDIS_URL` and `QUEUE_PREFIX` with their defaults, as every app reads them; throws, for the
 * app's configuration to stop the start with one line, on a URL the clients cannot use (scheme,
 * host, port) and on a cluster URL with a prefix it cannot use.
 */
export function redisSettingsFromEnv(env: Record<string, string | undefined>): { redisUrl: string; queuePrefix: string } {
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';
  const queuePrefix = env.QUEUE_PREFIX || DEFAULT_QUEUE_PREFIX;
  if (isClusterUrl(redisUrl)) redisClusterNodes(redisUrl);
  else redisConnectionOptions(redisUrl);
  const problem = clusterPrefixProblem(redisUrl, queuePrefix);
  if (problem) throw new Error(problem);
  return { redisUrl, queuePrefix };
}

/** Each connection's error log, so its duplicates and the BullMQ workers on it log to the same app logger. */
const errorLogs = new WeakMap<RedisConnection, { logger: Logger; name: string }>();
let defaultLogger: Logger | undefined;

/** The logger `connection` reports its errors to: its app's, or for a connection made without one, a `redis` logger. */
export function connectionLogger(connection: RedisConnection): Logger {
  return errorLogs.get(connection)?.logger ?? (defaultLogger ??= createLogger('redis'));
}

/** Every connection made here logs its errors (throttled, one JSON line each) from the start. */
function withErrorLog(connection: RedisConnection, name: string, logger: Logger = connectionLogger(connection)): RedisConnection {
  errorLogs.set(connection, { logger, name });
  logConnectionErrors(connection, { logger, connection: name });
  return connection;
}

function open(url: string, options: RedisOptions): RedisConnection {
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
 * Its errors go to `logger` (the app's), throttled, as for every connection made here.
 */
export function createBullConnection(url: string, options: RedisOptions = {}, logger?: Logger): RedisConnection {
  const connection = open(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
  return withErrorLog(connection, 'bull', logger);
}

/**
 * A connection for request paths (rate limits, code checks, job adds, readiness): it fails fast.
 * Until it is first ready, its commands wait in the offline queue (a request as the gateway starts
 * waits for the connection, up to the second reconnect attempt). From then on, a command sent while
 * Redis is unreachable fails at once and the caller answers UNAVAILABLE: waiting would hold the
 * caller's user lock and database connection until a reconnect attempt or the timeout, and every
 * call for the same user queued behind it would add its own wait, past the caller's deadline. A
 * command in flight when the connection drops waits at most `commandTimeout`. Its errors go to
 * `logger`, throttled. An `enableOfflineQueue` in `options` is kept as given.
 */
export function createRequestConnection(url: string, options: RedisOptions = {}, logger?: Logger): RedisConnection {
  const connection = open(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 3_000,
    commandTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
  if (options.enableOfflineQueue === undefined) {
    connection.once('ready', () => {
      connection.options.enableOfflineQueue = false;
    });
  }
  return withErrorLog(connection, 'request', logger);
}

/**
 * A second connection like `connection` (for a subscriber or a blocking reader, which cannot
 * share one), with `overrides` on top: for a cluster, to every node connection it opens.
 */
export function duplicateConnection(connection: RedisConnection, overrides: RedisOptions = {}): RedisConnection {
  const duplicate = (() => {
    if (connection instanceof Cluster) {
      const { enableOfflineQueue, ...perNode } = overrides;
      return connection.duplicate(undefined, {
        redisOptions: { ...connection.options.redisOptions, ...perNode },
        ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      });
    }
    return connection.duplicate(overrides);
  })();
  return withErrorLog(duplicate, `${errorLogs.get(connection)?.name ?? 'redis'} duplicate`, connectionLogger(connection));
}
