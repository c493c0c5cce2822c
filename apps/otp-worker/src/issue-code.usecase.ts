import type { Keyring } from '@mfa/crypto';
import { randomDigits } from '@mfa/crypto';
import type { Logger } from '@mfa/observability';
import { JobIds, QueueName, sealedDeliveryAad, sealedDestinationAad, type JobProducer, type OtpCodeStore, type OtpJob } from '@mfa/queue';

/** The Redis keys of the marks this use case heeds, for a challenge. */
export interface ChallengeMarkKeys {
  /** Left by the delivering worker once the provider accepted the code (`deliveredMarkerKey`). */
  delivered(challengeId: string): string;
  /** Left by the gateway when the challenge ended before its delivery went out (`challengeEndedKey`). */
  ended(challengeId: string): string;
}

/**
 * Draws the one-time code of an out-of-band challenge, leaves only its keyed hash for the
 * gateway, and hands the code, sealed, to the worker that delivers it.
 *
 * Safe to run twice: once the delivery job exists, or the delivery was made (its job may be gone
 * by then, completed jobs are only kept so long), a rerun (after a crash or a stall) does nothing,
 * so the code the user receives is always the one whose hash is stored. A challenge the gateway
 * marked ended gets no code at all, on a first run or a rerun: the gateway took back the delivery
 * job of a run it interrupted, and a rerun must not add it again.
 */
export class IssueCodeUseCase {
  constructor(
    private readonly codes: OtpCodeStore,
    private readonly marks: ChallengeMarkKeys,
    private readonly producer: JobProducer,
    private readonly keyring: Keyring,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async execute(job: OtpJob, queuedAt: number): Promise<'issued' | 'already-issued' | 'expired' | 'withdrawn'> {
    const target = job.channel === 'email' ? QueueName.Email : QueueName.Telephony;
    const deliveryId = JobIds.delivery(job.challengeId);
    const ended = this.marks.ended(job.challengeId);
    const secondsLeft = Math.floor((queuedAt + job.ttlSeconds * 1000 - this.now()) / 1000);
    if (secondsLeft <= 0) {
      // An ended challenge's delivery did not fail: it was no longer wanted, and the gateway settles it.
      if (await this.producer.anyExists([ended])) return this.withdrawn(job);
      if (await this.producer.exists(target, deliveryId)) return 'already-issued';
      await this.producer.add(QueueName.Events, JobIds.failed(job.challengeId), {
        v: 1,
        type: 'delivery.failed',
        challengeId: job.challengeId,
        provider: 'otp',
        reason: 'code expired before it could be delivered',
        permanent: true,
      });
      return 'expired';
    }
    const code = randomDigits(job.codeLength);
    // Checks for the delivery job, a delivery already made and the challenge's end, and stores the hash, in one round trip.
    const guards = [this.producer.queue(target).toKey(deliveryId), this.marks.delivered(job.challengeId), ended];
    const stored = await this.codes.putUnlessExists(job.challengeId, code, secondsLeft, guards);
    if (!stored) return (await this.producer.anyExists([ended])) ? this.withdrawn(job) : 'already-issued';
    const to = this.keyring.decryptText(job.sealedDestination, sealedDestinationAad(job.challengeId));
    await this.producer.add(target, deliveryId, {
      v: 1,
      challengeId: job.challengeId,
      channel: job.channel,
      sealed: this.keyring.encrypt(JSON.stringify({ to, code }), sealedDeliveryAad(job.challengeId)),
      ttlSeconds: secondsLeft,
      locale: job.locale,
      purpose: job.purpose,
      issuer: job.issuer,
    });
    this.logger.info({ challengeId: job.challengeId, channel: job.channel }, 'code issued');
    return 'issued';
  }

  private withdrawn(job: OtpJob): 'withdrawn' {
    this.logger.info({ challengeId: job.challengeId, channel: job.channel }, 'challenge ended before its code was issued; none sent');
    return 'withdrawn';
  }
}
