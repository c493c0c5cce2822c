import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per process, with the default Node.js process metrics. No label is added to every
 * series: API.md §7 fixes each metric's labels, and Prometheus tells the processes apart by their
 * scrape target (job, instance).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The gateway's metric names are part of the public contract (API.md §7). */
export class GatewayMetrics {
  readonly challenges: Counter<'type' | 'status'>;
  readonly verifyAttempts: Counter<'type' | 'result'>;
  readonly lockouts: Counter;
  readonly grpcRequests: Counter<'method' | 'code'>;
  readonly grpcDuration: Histogram<'method'>;
  readonly queueJobs: Gauge<'queue' | 'state'>;

  constructor(readonly registry: Registry) {
    this.challenges = new Counter({
      name: 'mfa_challenges_total',
      help: 'Challenges by factor type and the status they reached (pending = started).',
      labelNames: ['type', 'status'],
      registers: [registry],
    });
    this.verifyAttempts = new Counter({
      name: 'mfa_verify_attempts_total',
      help: 'Code verifications by factor type and result.',
      labelNames: ['type', 'result'],
      registers: [registry],
    });
    this.lockouts = new Counter({ name: 'mfa_lockouts_total', help: 'Users locked out.', registers: [registry] });
    this.grpcRequests = new Counter({
      name: 'mfa_grpc_requests_total',
      help: 'gRPC requests by method and status code.',
      labelNames: ['method', 'code'],
      registers: [registry],
    });
    this.grpcDuration = new Histogram({
      name: 'mfa_grpc_request_duration_seconds',
      help: 'gRPC request duration by method.',
      labelNames: ['method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.queueJobs = new Gauge({
      name: 'mfa_queue_jobs',
      help: 'Jobs per queue and state.',
      labelNames: ['queue', 'state'],
      registers: [registry],
    });
  }
}
