import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueName } from './queue-names';
import { JITTERED_BACKOFF, jitteredBackoff, LOCK_DURATION_MS, MAX_STALLED_COUNT, STALLED_INTERVAL_MS } from './retry-policy';

export interface WorkerRunnerOptions<T> {
  queue: QueueName;
  prefix: string;
  connection: Redis;
  concurrency: number;
  /** Validates the payload (throw `InvalidJobPayloadError`) before `handle` sees it. */
  parse: (data: unknown) => T;
  handle: (payload: T, job: Job) => Promise<void>;
  /** Called once a job has failed for good (permanent error or retries exhausted). */
  onFinalFailure?: (payload: T, error: Error, job: Job) => Promise<void>;
  onOutcome?: (outcome: 'completed' | 'retry' | 'failed', job: Job, error?: Error) => void;
}

export interface RunningWorker {
  worker: Worker;
  /** Stops taking jobs, lets the ones in flight finish, then closes. */
  close(): Promise<void>;
}

/** One BullMQ worker with the project's retry, stall and shutdown behaviour. */
export function runWorker<T>(options: WorkerRunnerOptions<T>): RunningWorker {
  const worker = new Worker(
    options.queue,
    async (job) => {
      const payload = options.parse(job.data);
      try {
        await options.handle(payload, job);
      } catch (error) {
        // Reported inside the job, under its lock: if reporting fails, the job is retried and
        // reports again, so no final outcome is lost.
        if (options.onFinalFailure && isFinalAttempt(job, error as Error)) await options.onFinalFailure(payload, error as Error, job);
        throw error;
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: LOCK_DURATION_MS,
      stalledInterval: STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      settings: { backoffStrategy: (attempts, type, error) => (type === JITTERED_BACKOFF ? jitteredBackoff(attempts, type, error) : 1_000) },
    },
  );
  worker.on('completed', (job) => options.onOutcome?.('completed', job));
  worker.on('failed', (job, error) => {
    if (job) options.onOutcome?.(job.finishedOn ? 'failed' : 'retry', job, error);
  });
  // Connection errors are retried by ioredis; listening keeps them from crashing the process.
  worker.on('error', () => undefined);
  return {
    worker,
    close: () => worker.close(),
  };
}

/** True when BullMQ will not run this job again after the error. */
export function isFinalAttempt(job: Job, error: Error): boolean {
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
