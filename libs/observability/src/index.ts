export { createLogger, REDACTED_KEYS, type Logger } from './logger';
export { createMetricsRegistry, GatewayMetrics } from './metrics';
export { WorkerMetrics } from './worker-metrics';
