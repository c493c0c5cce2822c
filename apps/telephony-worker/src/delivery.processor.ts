import type { DeliveryJob } from '@mfa/queue';
import type { Job } from 'bullmq';
import { DeliverCodeCommand } from './deliver-code.command';
import type { DeliverCodeUseCase } from './deliver-code.usecase';

/** The `telephony` queue's transport: job → command → one use case. */
export class DeliveryProcessor {
  constructor(private readonly deliverCode: DeliverCodeUseCase) {}

  async process(payload: DeliveryJob, job: Job): Promise<void> {
    await this.deliverCode.execute(DeliverCodeCommand.create({ job: payload, jobId: job.id, queuedAt: job.timestamp, attemptsMade: job.attemptsMade }));
  }

  async onFinalFailure(payload: DeliveryJob, error: Error): Promise<void> {
    await this.deliverCode.reportFinalFailure(payload, error);
  }
}
