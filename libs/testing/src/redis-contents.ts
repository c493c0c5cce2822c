import { Cluster, type Redis } from 'ioredis';

type Connection = Redis | Cluster;

/** The key names under `prefix` (SCAN, so a busy server is not blocked; on a cluster, on every master). */
export async function redisKeys(redis: Connection, prefix: string): Promise<string[]> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const keys: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, batch] = await server.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/** The readable content of one Redis key of any type (BullMQ job hashes, streams, sets …). */
export async function redisValue(redis: Connection, key: string): Promise<string> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return ((await redis.getBuffer(key)) ?? Buffer.alloc(0)).toString('latin1');
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'list':
      return (await redis.lrange(key, 0, -1)).join('\n');
    case 'set':
      return (await redis.smembers(key)).join('\n');
    case 'zset':
      return (await redis.zrange(key, 0, -1)).join('\n');
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    default:
      return `(${type})`;
  }
}

/** Every key under `prefix` with its content (`key\ncontent`), for tests that look for leaked secrets. */
export async function redisContents(redis: Connection, prefix: string): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  for (const key of await redisKeys(redis, prefix)) contents.set(key, `${key}\n${await redisValue(redis, key)}`);
  return contents;
}
