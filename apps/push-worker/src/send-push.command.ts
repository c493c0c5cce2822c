import { JobIds, type PushJob, UndeliverableJobError } from '@mfa/queue';

/** One wake-up push to send, built from a validated `push` job and its BullMQ metadata. */
export class SendPushCommand {
  private constructor(
    readonly challengeId: string,
    readonly factorId: string,
    readonly jobId: string,
    /** Keyring envelope of the FCM registration token, bound to the challenge id. */
    readonly sealedToken: string,
    readonly ttlSeconds: number,
    /** When the job was queued (epoch ms): the challenge's lifetime runs from here. */
    readonly queuedAt: number,
  ) {}

  static create(job: PushJob, meta: { jobId: string | undefined; queuedAt: number }): SendPushCommand {
    if (!Number.isFinite(meta.queuedAt) || meta.queuedAt <= 0) throw new UndeliverableJobError('the push job has no creation time');
    return new SendPushCommand(job.challengeId, job.factorId, meta.jobId ?? JobIds.push(job.challengeId), job.sealedToken, job.ttlSeconds, meta.queuedAt);
  }

  /** Epoch ms after which the challenge is over: a push then would only show a dead request. */
  get expiresAt(): number {
    return this.queuedAt + this.ttlSeconds * 1_000;
  }
}
