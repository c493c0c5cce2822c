import type { Job } from 'bullmq';
import type { PushJob } from '@mfa/queue';
import { SendPushCommand } from './send-push.command';
import type { SendPushUseCase } from './send-push.usecase';

/** Turns a `push` job into a command for the use case; nothing else happens here. */
export class DeliveryProcessor {
  constructor(private readonly sendPush: SendPushUseCase) {}

  async process(payload: PushJob, job: Job): Promise<void> {
    await this.sendPush.execute(SendPushCommand.create(payload, { jobId: job.id, queuedAt: job.timestamp }));
  }

  async onFinalFailure(payload: PushJob, error: Error, job: Job): Promise<void> {
    await this.sendPush.reportFailure(payload.challengeId, error, job.id);
  }
}
