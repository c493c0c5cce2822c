import type { RedisConnection } from '@mfa/queue';
import type { Logger, WorkerMetrics } from '@mfa/observability';
import type { JobProducer, RunningWorker } from '@mfa/queue';
import type { WorkerConfig } from './worker-config';

/** What a worker's `start` gets: shared connections, the producer, metrics and a logger. */
export interface WorkerContext {
  config: WorkerConfig;
  /** Blocking connection for BullMQ workers. */
  bullConnection: RedisConnection;
  /** Fail-fast connection for request-style commands. */
  redis: RedisConnection;
  producer: JobProducer;
  metrics: WorkerMetrics;
  logger: Logger;
}

export interface WorkerDefinition {
  name: string;
  defaultConcurrency: number;
  start(context: WorkerContext): RunningWorker[] | Promise<RunningWorker[]>;
}
