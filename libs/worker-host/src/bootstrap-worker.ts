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

/** Builds the context of a worker: connections, producer, metrics, logger. */
export function createWorkerContext(config: WorkerConfig): WorkerContext {
  const bullConnection = createBullConnection(config.redisUrl);
  bullConnection.on('error', () => undefined);
  const redis = createRequestConnection(config.redisUrl);
  redis.on('error', () => undefined);
  return {
    config,
    bullConnection,
    redis,
    producer: new JobProducer(bullConnection, config.queuePrefix),
    metrics: new WorkerMetrics(createMetricsRegistry(config.name)),
    logger: createLogger(config.name),
  };
}

/** Starts a worker in this process; used by each worker's main and by tests. */
export async function startWorker(definition: WorkerDefinition, config: WorkerConfig, host = '0.0.0.0'): Promise<StartedWorker> {
  const context = createWorkerContext(config);
  for (const notice of config.notices) context.logger.warn(notice);
  const app = await NestFactory.create(WorkerHostModule.forWorker(definition, context), { logger: ['error', 'warn'] });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
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
  startWorker(definition, config).catch((error: unknown) => {
    process.stderr.write(`${definition.name}: start-up failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
