import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { createLogger, createMetricsRegistry, WorkerMetrics } from '@mfa/observability';
import { createBullConnection, createRequestConnection, JobProducer } from '@mfa/queue';
import { loadWorkerConfig, type WorkerConfig } from './worker-config';
import type { WorkerContext, WorkerDefinition } from './worker-context';
import { WorkerHostModule } from './worker-host.module';

export interface StartedWorker {
  app: INestApplication;
  context: WorkerContext;
  close(): Promise<void>;
}

/** Builds the context of a worker: connections (logging their errors), producer, metrics, logger. */
export function createWorkerContext(config: WorkerConfig): WorkerContext {
  const logger = createLogger(config.name);
  const bullConnection = createBullConnection(config.redisUrl, {}, logger);
  const producer = new JobProducer(bullConnection, config.queuePrefix);
  return {
    config,
    bullConnection,
    redis: createRequestConnection(config.redisUrl, {}, logger),
    producer,
    metrics: new WorkerMetrics(createMetricsRegistry()),
    logger,
  };
}

/** Starts a worker in this process; used by each worker's main and by tests. */
export async function startWorker(definition: WorkerDefinition, config: WorkerConfig, host = '0.0.0.0'): Promise<StartedWorker> {
  const context = createWorkerContext(config);
  for (const notice of config.notices) context.logger.warn(notice);
  const app = await NestFactory.create(WorkerHostModule.forWorker(definition, context), { logger: ['error', 'warn'] });
  await app.listen(config.httpPort, host);
  context.logger.info({ httpPort: config.httpPort, concurrency: config.concurrency }, 'worker ready');
  return { app, context, close: () => app.close() };
}

/** A worker's `main`: load config, start, and exit with one clear line on a start-up error. */
export function runWorkerMain(definition: WorkerDefinition): void {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig(definition.name, definition.defaultConcurrency);
  } catch (error) {
    process.stderr.write(`${definition.name}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  startWorker(definition, config).then(
    (started) => exitOnSignal(definition.name, started.close),
    (error: unknown) => {
      process.stderr.write(`${definition.name}: start-up failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}

/** Longest a drain may take before the process gives up on in-flight work (their jobs stall over to another worker). */
export const SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * SIGTERM or SIGINT: close gracefully (in-flight work finishes) and exit 0, as `docker stop` and
 * Kubernetes expect; past SHUTDOWN_TIMEOUT_MS, exit 1 rather than hang.
 */
export function exitOnSignal(name: string, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    setTimeout(() => {
      process.stderr.write(`${name}: shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms after ${signal}\n`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${name}: shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
