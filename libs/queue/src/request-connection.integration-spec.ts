import { createLogger } from '@mfa/observability';
import { TcpProxy } from '@mfa/testing';
import { createRequestConnection, type RedisConnection } from './redis-connection';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The outages here are on purpose: their (throttled) error lines would only clutter the output. */
const quiet = createLogger('request-connection-spec', undefined, 'silent');
const OFFLINE_REFUSAL = /enableOfflineQueue options is false/;

describe('a request connection (the shared Redis behind a proxy that can cut it off)', () => {
  let proxy: TcpProxy;
  const opened: RedisConnection[] = [];
  const open = (options: Parameters<typeof createRequestConnection>[1] = {}): RedisConnection => {
    const connection = createRequestConnection(proxy.url(REDIS_URL), { retryStrategy: () => 100, ...options }, quiet);
    opened.push(connection);
    return connection;
  };
  const key = `{mfa-request-connection-${process.pid}}:k`;

  beforeEach(async () => {
    proxy = await new TcpProxy(new URL(REDIS_URL).hostname, Number(new URL(REDIS_URL).port || 6379)).start();
  });
  afterEach(async () => {
    for (const connection of opened.splice(0)) connection.disconnect();
    await proxy.stop();
  });

  it('before it is first ready, holds commands for the connection (a request as the gateway starts)', async () => {
    await proxy.cut();
    const redis = open();
    const early = redis.set(key, '1', 'PX', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 30)); // refused once; the retry 100 ms later connects
    await proxy.restore();
    expect(await early).toBe('OK');
  });

  it('once ready, fails a command at once while Redis is unreachable, instead of holding it to the command timeout', async () => {
    const redis = open();
    expect(await redis.set(key, '1', 'PX', 5_000)).toBe('OK');
    await proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the drop reaches the client
    await expect(redis.get(key)).rejects.toThrow(OFFLINE_REFUSAL);
    // It reconnects by itself and serves again.
    await proxy.restore();
    for (let i = 0; redis.status !== 'ready'; i++) {
      if (i > 100) throw new Error(`still ${redis.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await redis.get(key)).toBe('1');
  });

  it('keeps its offline queue when the caller asks for one', async () => {
    const redis = open({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    expect(await redis.set(key, '2', 'PX', 5_000)).toBe('OK');
    await proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const held = redis.get(key);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await proxy.restore();
    expect(await held).toBe('2');
  });
});
