export { createWorkerContext, exitOnSignal, runWorkerMain, SHUTDOWN_TIMEOUT_MS, startWorker, type StartedWorker } from './bootstrap-worker';
export { consumeQueue, type QueueConsumer } from './consume-queue';
export { loadWorkerConfig, requiredInProduction, WorkerConfigError, type WorkerConfig } from './worker-config';
export type { WorkerContext, WorkerDefinition } from './worker-context';
