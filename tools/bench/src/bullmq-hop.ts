import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_JOB_OPTIONS } from '@mfa/queue';

/**
 * One hop of the BullMQ baseline, run as its own process like a worker app: takes empty jobs from
 * `queue`, adds an empty job to `next` (if given) and completes. Reports completions to the parent
 * over IPC every 100 ms. Started by pipeline.bench.ts with one JSON argument.
 */
interface HopOptions {
  redisUrl: string;
  prefix: string;
  queue: string;
  next?: string;
  concurrency: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as HopOptions;
const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
const next = options.next ? new Queue(options.next, { connection, prefix: options.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS }) : undefined;
let completed = 0;
let lastAt = 0;

const worker = new Worker(
  options.queue,
  async () => {
    if (next) await next.add('empty', {});
  },
  { connection, prefix: options.prefix, concurrency: options.concurrency },
);
worker.on('completed', () => {
  completed++;
  lastAt = Date.now();
});
worker.on('error', () => undefined);

const report = setInterval(() => process.send?.({ completed, lastAt }), 100);

void worker.waitUntilReady().then(() => process.send?.({ ready: true }));

process.on('SIGTERM', () => {
  clearInterval(report);
  void Promise.all([worker.close(), next?.close()])
    .catch(() => undefined)
    .finally(() => {
      connection.disconnect();
      process.exit(0);
    });
});
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
