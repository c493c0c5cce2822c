import { spawn, type ChildProcess } from 'node:child_process';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '@mfa/observability';
import { eventually, freePort } from '@mfa/testing';
import { STALLED_OUT_REASON, UndeliverableJobError } from './delivery-failure';
import { createBullConnection, type RedisConnection } from './redis-connection';
import { QueueName } from './queue-names';
import { MAX_STALLED_COUNT } from './retry-policy';
import { JobDeferred, runWorker, UNREACHABLE_REDIS_GRACE_MS, type RunningWorker } from './worker-runner';

const passThrough = (data: unknown): unknown => data;
/** The outages here are on purpose: their (throttled) error lines would only clutter the output. */
const quiet = createLogger('worker-runner-spec', undefined, 'silent');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A redis-server of the test's own, to SIGKILL under a draining worker (the shared Redis is never touched). */
class OwnRedis {
  private child: ChildProcess | undefined;
  private port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port ||= await freePort();
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') return this;
      } catch {
        await sleep(50);
      } finally {
        probe.disconnect();
      }
    }
    throw new Error('redis-server did not start');
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }
}

describe('closing a worker (SIGTERM)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const start = (connection: RedisConnection, prefix: string, handle: () => Promise<void>): RunningWorker =>
    runWorker({ queue: QueueName.Otp, prefix, connection, concurrency: 2, parse: passThrough, handle });

  it('with Redis up, waits for the job in flight and records its outcome', async () => {
    const connection = createBullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {}, quiet);
    const prefix = `{mfa-close-${Date.now()}}`;
    const queue = new Queue(QueueName.Otp, { connection, prefix });
    cleanups.push(() => connection.disconnect(), () => queue.obliterate({ force: true }).then(() => queue.close()));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finished = false;
    const worker = start(connection, prefix, async () => {
      started();
      await sleep(1_000);
      finished = true;
    });
    const job = await queue.add('otp', { n: 1 });
    await running;
    await worker.close();
    expect(finished).toBe(true);
    expect(await queue.getJobState(job.id!)).toBe('completed');
  });

  it('with Redis unreachable, returns at once instead of waiting for Redis', async () => {
    const connection = createBullConnection(`redis://127.0.0.1:${await freePort()}`, {}, quiet);
    cleanups.push(() => connection.disconnect());
    const worker = start(connection, '{mfa-close-unreachable}', async () => undefined);
    await sleep(500);
    const closingAt = Date.now();
    await worker.close();
    expect(Date.now() - closingAt).toBeLessThan(1_000);
  });

  it('with Redis gone during the drain, stops waiting for the job in flight after a short grace', async () => {
    const redis = await new OwnRedis().start();
    cleanups.push(() => redis.kill());
    const connection = createBullConnection(redis.url, {}, quiet);
    cleanups.push(() => connection.disconnect());
    const queue = new Queue(QueueName.Otp, { connection, prefix: '{mfa-close-gone}' });
    queue.on('error', () => undefined);
    cleanups.push(() => queue.close());
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    // A provider call that ignores the abort and answers only after the test.
    let answer!: () => void;
    const worker = start(connection, '{mfa-close-gone}', async () => {
      started();
      await new Promise<void>((resolve) => (answer = resolve));
    });
    await queue.add('otp', { n: 1 });
    await running;
    const closingAt = Date.now();
    const closing = worker.close();
    redis.kill();
    await closing;
    expect(Date.now() - closingAt).toBeLessThan(UNREACHABLE_REDIS_GRACE_MS + 2_000);

    // Redis back: the close the app stopped waiting for ends too (in an app, the process has exited).
    const closed = new Promise<void>((resolve) => worker.worker.once('closed', () => resolve()));
    await redis.start();
    answer();
    await closed;
  });
});

describe('a handler that defers its job (JobDeferred)', () => {
  it('puts the job back as delayed for the given time, using no attempt and counted as deferred, and runs it again then', async () => {
    const connection = createBullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {}, quiet);
    const prefix = `{mfa-defer-${Date.now()}}`;
    const queue = new Queue(QueueName.Otp, { connection, prefix });
    const outcomes: string[] = [];
    const runs: number[] = [];
    const worker = runWorker({
      queue: QueueName.Otp,
      prefix,
      connection,
      concurrency: 1,
      parse: passThrough,
      handle: async () => {
        runs.push(Date.now());
        if (runs.length === 1) throw new JobDeferred(400);
      },
      onOutcome: (outcome) => outcomes.push(outcome),
    });
    try {
      const job = await queue.add('otp', { n: 1 }, { attempts: 1 });
      await eventually('the job deferred', async () => (runs.length === 1 && (await queue.getJobState(job.id!)) === 'delayed' ? true : undefined), 5_000, 10);
      await eventually('the job completed', async () => ((await queue.getJobState(job.id!)) === 'completed' ? true : undefined), 5_000, 10);
      expect(runs).toHaveLength(2);
      expect(runs[1] - runs[0]).toBeGreaterThanOrEqual(400);
      // Only the completing run counts as an attempt; with attempts: 1, a counted deferral would have failed the job.
      expect((await queue.getJob(job.id!))?.attemptsMade).toBe(1);
      expect(outcomes).toEqual(['deferred', 'completed']);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('a job that stalled more than MAX_STALLED_COUNT times', () => {
  const connection = createBullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {}, quiet);
  afterAll(() => connection.disconnect());

  /** A job taken `times` times by a worker that dies each time (its lock lapses, BullMQ's stall check puts it back). */
  async function stalledJob(prefix: string, times: number): Promise<{ queue: Queue; jobId: string }> {
    const queue = new Queue(QueueName.Otp, { connection, prefix });
    const job = await queue.add('otp', { n: 1 }, { attempts: 10 });
    const dying = new Worker(QueueName.Otp, null, { connection, prefix, lockDuration: 200, stalledInterval: 100, maxStalledCount: Number.MAX_SAFE_INTEGER, autorun: false });
    try {
      await dying.startStalledCheckTimer();
      for (let stall = 1; stall <= times; stall++) {
        expect((await dying.getNextJob(`dead-${stall}`))?.id).toBe(job.id);
        await eventually(`stall ${stall}`, async () => {
          const current = await queue.getJob(job.id!);
          return current?.stalledCounter === stall && (await current.getState()) === 'waiting' ? true : undefined;
        }, 5_000, 20);
      }
    } finally {
      await dying.close(true);
    }
    return { queue, jobId: job.id! };
  }

  function runOn(prefix: string, runs: string[], failures: Error[]): RunningWorker {
    return runWorker({
      queue: QueueName.Otp,
      prefix,
      connection,
      concurrency: 1,
      parse: passThrough,
      handle: async () => void runs.push('ran'),
      onFinalFailure: async (_payload, error) => void failures.push(error),
    });
  }

  it('fails for good without running, and the failure is reported like any other', async () => {
    const prefix = `{mfa-stalled-out-${Date.now()}}`;
    const { queue, jobId } = await stalledJob(prefix, MAX_STALLED_COUNT + 1);
    const runs: string[] = [];
    const failures: Error[] = [];
    const worker = runOn(prefix, runs, failures);
    try {
      await eventually('the job failed', async () => ((await queue.getJobState(jobId)) === 'failed' ? true : undefined), 5_000, 20);
      expect(runs).toEqual([]);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toBeInstanceOf(UndeliverableJobError);
      expect((failures[0] as UndeliverableJobError).reason).toBe(STALLED_OUT_REASON);
      expect((await queue.getJob(jobId))?.failedReason).toBe(STALLED_OUT_REASON);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('still runs at MAX_STALLED_COUNT stalls', async () => {
    const prefix = `{mfa-stalled-${Date.now()}}`;
    const { queue, jobId } = await stalledJob(prefix, MAX_STALLED_COUNT);
    const runs: string[] = [];
    const failures: Error[] = [];
    const worker = runOn(prefix, runs, failures);
    try {
      await eventually('the job completed', async () => ((await queue.getJobState(jobId)) === 'completed' ? true : undefined), 5_000, 20);
      expect(runs).toEqual(['ran']);
      expect(failures).toEqual([]);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
