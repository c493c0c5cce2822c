import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

/**
 * Background work every replica does on a timer, from boot to shutdown. Rounds never overlap:
 * one still running when the next is due (or when a test calls it directly) makes that one a no-op.
 */
export abstract class PeriodicTask implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  protected constructor(private readonly intervalMs: number) {}

  /** What the timer runs. */
  protected abstract tick(): Promise<unknown>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Runs `round` unless another is running; returns what it counted (0 when skipped). */
  protected async exclusively(round: () => Promise<number>): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      return await round();
    } finally {
      this.running = false;
    }
  }
}
