import { type ChallengePurpose, type DeliveryJob, JobIds, UndeliverableJobError } from '@mfa/queue';

/** One code e-mail to deliver, built from a validated `email` job and its BullMQ metadata. */
export class DeliverCodeCommand {
  private constructor(
    readonly challengeId: string,
    readonly jobId: string,
    /** Keyring envelope of `{to, code}`, bound to the challenge id. */
    readonly sealed: string,
    readonly ttlSeconds: number,
    readonly locale: string | undefined,
    readonly purpose: ChallengePurpose,
    readonly issuer: string,
    /** When the job was queued (epoch ms): the code's lifetime runs from here. */
    readonly queuedAt: number,
  ) {}

  static create(job: DeliveryJob, meta: { jobId: string | undefined; queuedAt: number }): DeliverCodeCommand {
    if (job.channel !== 'email') throw new UndeliverableJobError(`an ${job.channel} job cannot be delivered by e-mail`);
    if (!Number.isFinite(meta.queuedAt) || meta.queuedAt <= 0) throw new UndeliverableJobError('the delivery job has no creation time');
    return new DeliverCodeCommand(
      job.challengeId,
      meta.jobId ?? JobIds.delivery(job.challengeId),
      job.sealed,
      job.ttlSeconds,
      job.locale,
      job.purpose,
      job.issuer,
      meta.queuedAt,
    );
  }

  /** Epoch ms after which the code is useless: sending it then would only confuse the user. */
  get expiresAt(): number {
    return this.queuedAt + this.ttlSeconds * 1_000;
  }
}
