import { Writable } from 'node:stream';
import { createLogger } from '@mfa/observability';
import { freePort } from '@mfa/testing';
import { createBullConnection, createRequestConnection, duplicateConnection, redisSettingsFromEnv, type RedisConnection } from './redis-connection';

describe('REDIS_URL as every app reads it (redisSettingsFromEnv)', () => {
  it.each([
    'redis://127.0.0.1:6379',
    'redis://localhost',
    'redis://:p%40ss@cache.internal:6380/2',
    'redis://mfa:secret@10.0.0.5:6379/',
    'rediss://[::1]:6380/0?family=6',
    'redis-sentinel://s1:26379,s2/mymaster?db=1',
    'redis-cluster://a:7000,b:7001',
  ])('accepts %s', (url) => {
    expect(redisSettingsFromEnv({ REDIS_URL: url }).redisUrl).toBe(url);
  });

  it('defaults to the local Redis', () => {
    expect(redisSettingsFromEnv({})).toEqual({ redisUrl: 'redis://127.0.0.1:6379', queuePrefix: '{mfa}' });
  });

  it.each([
    ['garbage', /^REDIS_URL must start with redis:\/\/, rediss:\/\/, redis-sentinel:\/\/ or redis-cluster:\/\/$/],
    ['http://x', /must start with redis:\/\//],
    ['redis://127.0.0.1:notaport', /^REDIS_URL redis:\/\/: the port must be a number from 1 to 65535$/],
    ['redis://127.0.0.1:0', /the port must be a number/],
    ['redis://127.0.0.1:65536', /the port must be a number/],
    ['redis://:6379', /needs a host/],
    ['redis://', /needs a host/],
    ['redis://host/cache', /the path must be a database number/],
    ['redis-sentinel://', /needs host:port\[,host:port…\]\/<master name>/],
    ['redis-sentinel://s1:port/mymaster', /"s1:port" is not host:port/],
    ['redis-sentinel://s1/mymaster?db=x', /db must be a database number/],
    ['redis-cluster://a:99999', /"a:99999" is not host:port/],
  ])('refuses %s with one line naming REDIS_URL', (url, message) => {
    expect(() => redisSettingsFromEnv({ REDIS_URL: url })).toThrow(message);
  });

  it.each(['{mfa}', 'acme:{mfa}', '{a}{b}'])('takes the cluster prefix %s (its first {…} is a hash tag)', (prefix) => {
    expect(redisSettingsFromEnv({ REDIS_URL: 'redis-cluster://a:7000', QUEUE_PREFIX: prefix }).queuePrefix).toBe(prefix);
  });

  it.each(['mfa', '{}{mfa}', 'a{}b{c}', 'mfa}{'])('refuses the cluster prefix %s: Redis would hash whole keys', (prefix) => {
    expect(() => redisSettingsFromEnv({ REDIS_URL: 'redis-cluster://a:7000', QUEUE_PREFIX: prefix })).toThrow(/has no \{hash tag\}/);
  });

  it('never quotes the password of a refused URL', () => {
    expect(() => redisSettingsFromEnv({ REDIS_URL: 'redis://:hunter2@host:port' })).toThrow(/^(?!.*hunter2)/);
  });
});

describe('connection errors', () => {
  const opened: RedisConnection[] = [];
  afterEach(() => {
    opened.splice(0).forEach((connection) => connection.disconnect());
  });

  it('an unreachable Redis is logged as one JSON line per connection to the app logger, not printed on stderr', async () => {
    let output = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        output += String(chunk);
        done();
      },
    });
    const logger = createLogger('some-worker', sink, 'info');
    const stderr = jest.spyOn(process.stderr, 'write');
    const consoleError = jest.spyOn(console, 'error');
    const url = `redis://127.0.0.1:${await freePort()}`;
    const request = createRequestConnection(url, { retryStrategy: () => 20 }, logger);
    opened.push(request, createBullConnection(url, { retryStrategy: () => 20 }, logger), duplicateConnection(request));
    await new Promise((resolve) => setTimeout(resolve, 500)); // about 20 reconnect attempts each
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { service: string; connection: string; msg: string });
    expect(lines.map((line) => `${line.service} ${line.connection}: ${line.msg}`).sort()).toEqual([
      'some-worker bull: redis connection error',
      'some-worker request duplicate: redis connection error',
      'some-worker request: redis connection error',
    ]);
    expect(stderr).not.toHaveBeenCalled();
    expect(consoleError).not.toHaveBeenCalled();
    stderr.mockRestore();
    consoleError.mockRestore();
  });
});
