import type { DeliveryJob } from '@mfa/queue';

/** One delivery attempt: the validated job plus what BullMQ knows about it. */
export class DeliverCodeCommand {
  private constructor(
    readonly job: DeliveryJob,
    readonly jobId: string,
    /** When the delivery job was queued (ms since epoch): the challenge lifetime counts from here. */
    readonly queuedAt: number,
    /** 1 for the first try. */
    readonly attempt: number,
  ) {}

  static create(input: { job: DeliveryJob; jobId: string | undefined; queuedAt: number; attemptsMade: number }): DeliverCodeCommand {
    if (!input.jobId) throw new TypeError('a delivery job needs an id');
    if (!Number.isFinite(input.queuedAt) || input.queuedAt <= 0) throw new TypeError('a delivery job needs its queue time');
    return new DeliverCodeCommand(input.job, input.jobId, input.queuedAt, input.attemptsMade + 1);
  }

  get expiresAt(): number {
    return this.queuedAt + this.job.ttlSeconds * 1000;
  }
}
