import { Counter, Histogram, type Registry } from 'prom-client';

/** Worker metric names of API.md §7. */
export class WorkerMetrics {
  readonly jobsProcessed: Counter<'queue' | 'outcome'>;
  readonly providerRequests: Counter<'provider' | 'outcome'>;
  readonly providerDuration: Histogram<'provider'>;
  readonly jobDuration: Histogram<'queue'>;

  constructor(readonly registry: Registry) {
    this.jobsProcessed = new Counter({
      name: 'mfa_jobs_processed_total',
      help: 'Jobs by queue and outcome (completed, retry, failed; deferred: put back for later, using no attempt).',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    });
    this.providerRequests = new Counter({
      name: 'mfa_provider_requests_total',
      help: 'Provider calls by provider and outcome (ok, retryable, permanent).',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    });
    this.providerDuration = new Histogram({
      name: 'mfa_provider_request_duration_seconds',
      help: 'Provider call latency.',
      labelNames: ['provider'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.jobDuration = new Histogram({
      name: 'mfa_job_duration_seconds',
      help: 'Time from a job being taken to it finishing.',
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  /** Times one provider call and counts its outcome by the error class it ended with. */
  async measureProvider<T>(provider: string, call: () => Promise<T>, classify: (error: unknown) => 'retryable' | 'permanent'): Promise<T> {
    const stop = this.providerDuration.startTimer({ provider });
    try {
      const result = await call();
      this.providerRequests.inc({ provider, outcome: 'ok' });
      return result;
    } catch (error) {
      this.providerRequests.inc({ provider, outcome: classify(error) });
      throw error;
    } finally {
      stop();
    }
  }
}
