import { Cluster } from 'ioredis';
import { Keyring } from '@mfa/crypto';
import { startRedisCluster, type TestRedisCluster } from '@mfa/testing';
import { RedisDeliveredMarkers } from './delivered-markers';
import { challengeEndedKey } from './ended-marker';
import { JobIds } from './job-ids';
import { JobProducer } from './job-producer';
import { OtpCodeStore } from './otp-code-store';
import { QueueName } from './queue-names';
import { clusterPrefixProblem, createBullConnection, createRequestConnection, duplicateConnection, redisClusterNodes, type RedisConnection } from './redis-connection';
import { runWorker } from './worker-runner';

describe('Redis Cluster', () => {
  it('reads the nodes and the credentials of a redis-cluster:// URL', () => {
    expect(redisClusterNodes('redis-cluster://a:7000,b')).toEqual({ nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 6379 }] });
    expect(redisClusterNodes('redis-cluster://:p%40ss@a:7000/')).toEqual({ nodes: [{ host: 'a', port: 7000 }], password: 'p@ss' });
    expect(redisClusterNodes('redis-cluster://mfa:secret@a:7000')).toEqual({ nodes: [{ host: 'a', port: 7000 }], username: 'mfa', password: 'secret' });
    expect(() => redisClusterNodes('redis-cluster://')).toThrow(/host:port/);
    expect(() => redisClusterNodes('redis-cluster://a:7000/0')).toThrow(/nothing after it/);
    expect(() => redisClusterNodes('redis-cluster://a:7000?tls=1')).toThrow(/nothing after it/);
    expect(() => redisClusterNodes('redis-cluster://a:70000')).toThrow(/not host:port/);
  });

  it('wants a hash-tagged prefix on a cluster only', () => {
    expect(clusterPrefixProblem('redis-cluster://a:7000', 'mfa')).toMatch(/no \{hash tag\}/);
    expect(clusterPrefixProblem('redis-cluster://a:7000', '{mfa}')).toBeUndefined();
    expect(clusterPrefixProblem('redis://a:6379', 'mfa')).toBeUndefined();
  });

  describe('against a real three-master cluster', () => {
    const prefix = '{mfa-cluster}';
    let cluster: TestRedisCluster;
    const opened: RedisConnection[] = [];
    const open = (connection: RedisConnection): RedisConnection => (opened.push(connection), connection);

    beforeAll(async () => {
      cluster = await startRedisCluster();
    });
    afterAll(async () => {
      for (const connection of opened) connection.disconnect();
      await cluster?.stop();
    });

    it('connects as a cluster client, for BullMQ and for request paths alike', () => {
      expect(open(createBullConnection(cluster.url))).toBeInstanceOf(Cluster);
      expect(open(createRequestConnection(cluster.url))).toBeInstanceOf(Cluster);
    });

    it('runs a job through a queue and a worker with the project retry policy', async () => {
      const connection = open(createBullConnection(cluster.url));
      const seen: string[] = [];
      const worker = runWorker({
        queue: QueueName.Otp,
        prefix,
        connection,
        concurrency: 2,
        parse: (data) => data as { challengeId: string },
        handle: async (payload) => void seen.push(payload.challengeId),
      });
      const producer = new JobProducer(open(createRequestConnection(cluster.url)), prefix);
      try {
        const job = { v: 1, challengeId: 'chl_cluster', tenantId: 'ten_1', channel: 'sms', sealedDestination: 'sealed', codeLength: 6, ttlSeconds: 60, locale: '', purpose: 'challenge', issuer: 'MFA' } as const;
        await producer.add(QueueName.Otp, JobIds.otp('chl_cluster'), job);
        await producer.add(QueueName.Otp, JobIds.otp('chl_cluster'), job); // the same id: taken once
        const deadline = Date.now() + 10_000;
        while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        expect(seen).toEqual(['chl_cluster']);
        expect(await producer.exists(QueueName.Otp, JobIds.otp('chl_cluster'))).toBe(true);
      } finally {
        await worker.close();
        await producer.close();
      }
    });

    it('runs the code store and delivered-marker scripts, whose keys share the prefix slot', async () => {
      const redis = open(createRequestConnection(cluster.url));
      const codes = new OtpCodeStore(redis, Keyring.parse(Keyring.generateSpec('t1')), prefix);
      const markers = new RedisDeliveredMarkers(redis, prefix);
      await expect(codes.putUnlessExists('ch1', '123456', 60, [`${prefix}:telephony:ch1.delivery`, markers.key('ch1')])).resolves.toBe(true);
      expect(await codes.consume('ch1', '654321')).toBe('wrong');
      expect(await codes.consume('ch1', '123456')).toBe('ok');
      await markers.mark('ch2', { providerRef: 'SM2' }, 60);
      await expect(codes.putUnlessExists('ch2', '111111', 60, [`${prefix}:telephony:ch2.delivery`, markers.key('ch2')])).resolves.toBe(false);
      expect(await markers.lookup('ch2')).toEqual({ delivered: { providerRef: 'SM2' }, ended: false });
      await redis.set(challengeEndedKey(prefix, 'ch3'), '1', 'EX', 60);
      expect(await markers.lookup('ch3')).toEqual({ delivered: undefined, ended: true });
    });

    it('delivers pub/sub messages to a duplicated subscriber', async () => {
      const publisher = open(createRequestConnection(cluster.url));
      const subscriber = open(duplicateConnection(publisher, { enableOfflineQueue: true, maxRetriesPerRequest: null }));
      const received = new Promise<string>((resolve) => subscriber.on('message', (_channel: string, message: string) => resolve(message)));
      await subscriber.subscribe(`${prefix}:challenge-changes`);
      await publisher.publish(`${prefix}:challenge-changes`, 'chl_1');
      expect(await received).toBe('chl_1');
    });

    it('serves request-path commands sent before the cluster is ready, and fails them at once once it is unreachable', async () => {
      const redis = open(createRequestConnection(cluster.url));
      expect(await redis.set(`${prefix}:early`, '1')).toBe('OK'); // sent before 'ready': queued, then served
      await cluster.stop();
      const started = Date.now();
      await expect(redis.get(`${prefix}:early`)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);
    });
  });

  describe('through a failover', () => {
    const prefix = '{mfa-failover}';
    let cluster: TestRedisCluster;

    beforeAll(async () => {
      cluster = await startRedisCluster(3, 1);
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('keeps a running worker and producer going when the master of the prefix slot dies and its replica takes over', async () => {
      const seen: string[] = [];
      const connection = createBullConnection(cluster.url);
      const worker = runWorker({ queue: QueueName.Otp, prefix, connection, concurrency: 2, parse: (data) => data as { challengeId: string }, handle: async (payload) => void seen.push(payload.challengeId) });
      const requests = createRequestConnection(cluster.url);
      const producer = new JobProducer(requests, prefix);
      const job = (challengeId: string) => ({ v: 1, challengeId, tenantId: 'ten_1', channel: 'sms', sealedDestination: 'sealed', codeLength: 6, ttlSeconds: 60, locale: '', purpose: 'challenge', issuer: 'MFA' }) as const;
      const processed = async (challengeId: string, seconds: number): Promise<void> => {
        const deadline = Date.now() + seconds * 1000;
        while (!seen.includes(challengeId)) {
          if (Date.now() > deadline) throw new Error(`${challengeId} was not processed within ${seconds} s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      try {
        await producer.add(QueueName.Otp, JobIds.otp('chl_before'), job('chl_before'));
        await processed('chl_before', 10);

        const master = await cluster.masterOf(`${prefix}:otp`);
        await cluster.kill(master);
        // Until a replica is promoted, adds fail (UNAVAILABLE to callers) rather than hang; then they succeed again.
        const deadline = Date.now() + 30_000;
        for (;;) {
          const started = Date.now();
          try {
            await producer.add(QueueName.Otp, JobIds.otp('chl_after'), job('chl_after'));
            break;
          } catch (error) {
            expect(Date.now() - started).toBeLessThan(5_000);
            if (Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
        await processed('chl_after', 30);
      } finally {
        await worker.close();
        await producer.close();
        requests.disconnect();
        connection.disconnect();
      }
    }, 90_000);
  });
});
