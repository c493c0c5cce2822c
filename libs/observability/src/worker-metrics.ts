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
      help: 'Provider calls by provider and outcome (ok, retryable, permanent; cancelled: stopped by the worker).',
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

  /**
   * Times one provider call and counts its outcome by the error class it ended with. A call that
   * failed after `cancelled` aborted was stopped by the worker (draining, or a long poll let go
   * once its challenge ended): counted as `cancelled`, and its time is not the provider's latency.
   */
  async measureProvider<T>(provider: string, call: () => Promise<T>, classify: (error: unknown) => 'retryable' | 'permanent', cancelled?: AbortSignal): Promise<T> {
    const stop = this.providerDuration.startTimer({ provider });
    try {
      const result = await call();
      stop();
      this.providerRequests.inc({ provider, outcome: 'ok' });
      return result;
    } catch (error) {
      if (cancelled?.aborted) {
        this.providerRequests.inc({ provider, outcome: 'cancelled' });
      } else {
        stop();
        this.providerRequests.inc({ provider, outcome: classify(error) });
      }
      throw error;
    }
  }
}
