import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { connectionLogger, type RedisConnection } from './redis-connection';
import { logConnectionErrors } from './redis-error-log';
import type { QueueName } from './queue-names';
import { STALLED_OUT_REASON, UndeliverableJobError } from './delivery-failure';
import { JITTERED_BACKOFF, jitteredBackoff, LOCK_DURATION_MS, MAX_STALLED_COUNT, STALLED_INTERVAL_MS } from './retry-policy';

/**
 * Thrown by a handler that stopped because the worker is shutting down (it saw `stopping`
 * abort): the job goes back to the queue without using an attempt, for another worker to resume.
 */
export class JobInterrupted extends Error {
  override name = 'JobInterrupted';
}

/**
 * Thrown by a handler that cannot take the job now (the share of the worker its kind may use is
 * taken): the job waits `delayMs` in the queue, using no attempt, and any worker may take it then.
 */
export class JobDeferred extends Error {
  override name = 'JobDeferred';

  constructor(readonly delayMs: number) {
    super(`deferred for ${delayMs} ms`);
  }
}

export interface WorkerRunnerOptions<T, R = void> {
  queue: QueueName;
  prefix: string;
  connection: RedisConnection;
  concurrency: number;
  /** Validates the payload (throw `InvalidJobPayloadError`) before `handle` sees it. */
  parse: (data: unknown) => T;
  /**
   * Does the job; what it returns is the job's return value (callers awaiting a job read it).
   * `stopping` aborts when the worker closes, for handlers that wait long (polling a provider).
   */
  handle: (payload: T, job: Job, stopping: AbortSignal) => Promise<R>;
  /** Called once a job has failed for good (permanent error or retries exhausted). */
  onFinalFailure?: (payload: T, error: Error, job: Job) => Promise<void>;
  /** `deferred`: a `JobDeferred` put the job back for later, using no attempt. */
  onOutcome?: (outcome: 'completed' | 'retry' | 'failed' | 'deferred', job: Job, error?: Error) => void;
}

export interface RunningWorker {
  worker: Worker;
  /**
   * Stops taking jobs, lets the ones in flight finish (or hand back), then closes. With Redis
   * unreachable it closes at once instead (see `closeWorker`).
   */
  close(): Promise<void>;
}

/** How long a draining worker keeps waiting for Redis to come back once it has become unreachable. */
export const UNREACHABLE_REDIS_GRACE_MS = 2_000;
const REDIS_CHECK_MS = 100;

const isReachable = (connection: RedisConnection): boolean => connection.status === 'ready';

/**
 * BullMQ's own stall limit fails a job without running the processor, so `onFinalFailure` would
 * never hear of it (a delivery left QUEUED for good). BullMQ's limit is set out of reach and
 * MAX_STALLED_COUNT is kept by the processor instead, which reports the failure like any other.
 */
const BULLMQ_STALL_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * Closes a worker: stops taking jobs, aborts `stopping`, and waits for the jobs in flight. BullMQ
 * needs Redis for that and would wait for it without end, so while Redis is unreachable (when the
 * close starts, or for `graceMs` during the wait) nothing is waited for: an in-flight job can
 * neither report its outcome nor be handed back; its lock lapses and a worker retries it as stalled.
 */
export async function closeWorker(worker: Worker, connection: RedisConnection, stopping: AbortController, graceMs = UNREACHABLE_REDIS_GRACE_MS): Promise<void> {
  if (!isReachable(connection)) {
    stopping.abort();
    await worker.close(true);
    return;
  }
  const closing = worker.close(); // stops taking jobs first, so none starts after the abort
  stopping.abort();
  let unreachableSince: number | undefined;
  let check: NodeJS.Timeout | undefined;
  const redisGone = new Promise<'gone'>((resolve) => {
    check = setInterval(() => {
      if (isReachable(connection)) unreachableSince = undefined;
      else if (unreachableSince === undefined) unreachableSince = Date.now();
      else if (Date.now() - unreachableSince >= graceMs) resolve('gone');
    }, REDIS_CHECK_MS);
  });
  try {
    if ((await Promise.race([closing.then(() => 'closed' as const), redisGone])) === 'gone') {
      // Left behind: it ends if Redis comes back, and the app exits next anyway.
      closing.catch(() => undefined);
      connectionLogger(connection).warn({ queue: worker.name, unreachableForMs: graceMs }, 'Redis unreachable while draining: stopped waiting for jobs in flight');
    }
  } finally {
    clearInterval(check);
  }
}

/** One BullMQ worker with the project's retry, stall and shutdown behaviour. */
export function runWorker<T, R = void>(options: WorkerRunnerOptions<T, R>): RunningWorker {
  const stopping = new AbortController();
  const worker = new Worker<unknown, R>(
    options.queue,
    async (job, token) => {
      const payload = options.parse(job.data);
      try {
        // Not run again: each run so far stopped its worker (killed, out of memory, cut from Redis).
        if (job.stalledCounter > MAX_STALLED_COUNT) throw new UndeliverableJobError(STALLED_OUT_REASON);
        return await options.handle(payload, job, stopping.signal);
      } catch (error) {
        if (error instanceof JobInterrupted && token) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        if (error instanceof JobDeferred && token) {
          await job.moveToDelayed(Date.now() + error.delayMs, token);
          options.onOutcome?.('deferred', job);
          throw new DelayedError();
        }
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
      maxStalledCount: BULLMQ_STALL_LIMIT,
      settings: { backoffStrategy: (attempts, type, error) => (type === JITTERED_BACKOFF ? jitteredBackoff(attempts, type, error) : 1_000) },
    },
  );
  worker.on('completed', (job) => options.onOutcome?.('completed', job));
  worker.on('failed', (job, error) => {
    if (!job || error instanceof WaitingError || error instanceof DelayedError) return;
    options.onOutcome?.(job.finishedOn ? 'failed' : 'retry', job, error);
  });
  // The worker re-emits its connections' errors (ioredis retries them) and its own: logged, throttled.
  logConnectionErrors(worker, { logger: connectionLogger(options.connection), connection: `worker ${options.queue}`, readySource: options.connection });
  return { worker, close: () => closeWorker(worker, options.connection, stopping) };
}

/**
 * True when BullMQ will not run this job again after the error. A handler that moved its job
 * back itself (to wait or to delayed, throwing BullMQ's signal for it) has not failed it.
 */
export function isFinalAttempt(job: Job, error: Error): boolean {
  if (error instanceof DelayedError || error instanceof WaitingError) return false;
  return error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}
