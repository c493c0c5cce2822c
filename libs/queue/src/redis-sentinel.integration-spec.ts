import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { freePort } from '@mfa/testing';
import { createBullConnection, redisConnectionOptions } from './redis-connection';

describe('REDIS_URL with Sentinel', () => {
  it.each([
    ['redis://127.0.0.1:6379', { url: 'redis://127.0.0.1:6379', options: {} }],
    ['redis-sentinel://s1:26379,s2/mymaster', { options: { sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'mymaster', db: 0 } }],
    ['redis-sentinel://:p%40ss@s1:5000/main?db=2', { options: { sentinels: [{ host: 's1', port: 5000 }], name: 'main', password: 'p@ss', sentinelPassword: 'p@ss', db: 2 } }],
  ])('reads %s', (url, expected) => {
    expect(redisConnectionOptions(url)).toEqual(expected);
  });

  it('refuses a sentinel URL without a master name', () => {
    expect(() => redisConnectionOptions('redis-sentinel://s1:26379')).toThrow(/master name/);
  });

  describe('against a real master and sentinel', () => {
    const children: ChildProcess[] = [];
    let dir: string;
    let sentinelPort: number;

    const start = async (args: string[], port: number): Promise<void> => {
      const child = spawn('redis-server', args, { stdio: 'ignore' });
      children.push(child);
      const probe = createBullConnection(`redis://127.0.0.1:${port}`, { lazyConnect: true, retryStrategy: () => null });
      for (let i = 0; i < 100; i++) {
        try {
          await probe.connect();
          await probe.ping();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      probe.disconnect();
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mfa-sentinel-'));
      const masterPort = await freePort();
      sentinelPort = await freePort();
      await start(['--port', String(masterPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], masterPort);
      const config = join(dir, 'sentinel.conf');
      writeFileSync(config, `port ${sentinelPort}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 ${masterPort} 1\n`);
      await start([config, '--sentinel'], sentinelPort);
    });
    afterAll(() => {
      for (const child of children) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs BullMQ jobs through the master the sentinel names', async () => {
      const connection = createBullConnection(`redis-sentinel://127.0.0.1:${sentinelPort}/mymaster`);
      const queue = new Queue('sentinel-check', { connection, prefix: '{mfa-sentinel}' });
      const worker = new Worker('sentinel-check', async (job) => `seen ${job.data.n}`, { connection, prefix: '{mfa-sentinel}' });
      try {
        const finished = new Promise<string>((resolve) => worker.on('completed', (_job, value: string) => resolve(value)));
        await queue.add('check', { n: 7 });
        expect(await finished).toBe('seen 7');
      } finally {
        await worker.close();
        await queue.close();
        connection.disconnect();
      }
    });
  });
});
