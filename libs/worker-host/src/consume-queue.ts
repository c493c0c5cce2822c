import { runWorker, type RunningWorker, type WorkerRunnerOptions } from '@mfa/queue';
import type { WorkerContext } from './worker-context';

export type QueueConsumer<T, R> = Pick<WorkerRunnerOptions<T, R>, 'queue' | 'parse' | 'handle' | 'onFinalFailure'>;

/**
 * A worker's consumer of its queue, wired the same way in every worker: the context's prefix,
 * connection and concurrency, outcomes counted in `mfa_jobs_processed_total`. `release` frees
 * what the worker holds (a provider's connection pool) once in-flight jobs have drained.
 */
export function consumeQueue<T, R>(context: WorkerContext, consumer: QueueConsumer<T, R>, release?: () => Promise<void>): RunningWorker {
  const running = runWorker<T, R>({
    ...consumer,
    prefix: context.config.queuePrefix,
    connection: context.bullConnection,
    concurrency: context.config.concurrency,
    onOutcome: (outcome) => context.metrics.jobsProcessed.inc({ queue: consumer.queue, outcome }),
  });
  if (!release) return running;
  return {
    worker: running.worker,
    close: async () => {
      try {
        await running.close();
      } finally {
        await release();
      }
    },
  };
}
