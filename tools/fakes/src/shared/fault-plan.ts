/**
 * Which failure a fake should answer with next. Two shapes cover what the workers must survive:
 * a burst of `n` failing requests (a throttle, one bad number) and an outage that lasts a while.
 */
export class FaultPlan<F> {
  private readonly queue: F[] = [];
  private outage: { until: number; fault: F } | undefined;

  /** The next `count` requests fail with `fault` (queued after earlier `failNext` calls). */
  failNext(count: number, fault: F): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
    for (let i = 0; i < count; i++) this.queue.push(fault);
  }

  /** Every request fails with `fault` for the next `ms` milliseconds; wins over `failNext`. */
  failFor(ms: number, fault: F): void {
    this.outage = { until: Date.now() + ms, fault };
  }

  clear(): void {
    this.queue.length = 0;
    this.outage = undefined;
  }

  /** The fault the current request must fail with, consuming one `failNext` entry, or undefined. */
  take(): F | undefined {
    if (this.outage && Date.now() < this.outage.until) return this.outage.fault;
    this.outage = undefined;
    return this.queue.shift();
  }
}
