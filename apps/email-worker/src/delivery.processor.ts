import type { Job } from 'bullmq';
import type { DeliveryJob } from '@mfa/queue';
import { DeliverCodeCommand } from './deliver-code.command';
import type { DeliverCodeUseCase } from './deliver-code.usecase';

/** Turns an `email` job into a command for the use case; nothing else happens here. */
export class DeliveryProcessor {
  constructor(private readonly deliverCode: DeliverCodeUseCase) {}

  async process(payload: DeliveryJob, job: Job): Promise<void> {
    await this.deliverCode.execute(DeliverCodeCommand.create(payload, { jobId: job.id, queuedAt: job.timestamp }));
  }

  async onFinalFailure(payload: DeliveryJob, error: Error, job: Job): Promise<void> {
    await this.deliverCode.reportFailure(payload.challengeId, error, job.id);
  }
}
