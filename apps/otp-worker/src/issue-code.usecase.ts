import type { Keyring } from '@mfa/crypto';
import { randomDigits } from '@mfa/crypto';
import type { Logger } from '@mfa/observability';
import { JobIds, QueueName, sealedDeliveryAad, sealedDestinationAad, type JobProducer, type OtpCodeStore, type OtpJob, type RedisDeliveredMarkers } from '@mfa/queue';

/**
 * Draws the one-time code of an out-of-band challenge, leaves only its keyed hash for the
 * gateway, and hands the code, sealed, to the worker that delivers it.
 *
 * Safe to run twice: once the delivery job exists, or the delivery was made (its job may be gone
 * by then, completed jobs are only kept so long), a rerun (after a crash or a stall) does nothing,
 * so the code the user receives is always the one whose hash is stored.
 */
export class IssueCodeUseCase {
  constructor(
    private readonly codes: OtpCodeStore,
    private readonly delivered: Pick<RedisDeliveredMarkers, 'key'>,
    private readonly producer: JobProducer,
    private readonly keyring: Keyring,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async execute(job: OtpJob, queuedAt: number): Promise<'issued' | 'already-issued' | 'expired'> {
    const target = job.channel === 'email' ? QueueName.Email : QueueName.Telephony;
    const deliveryId = JobIds.delivery(job.challengeId);
    const secondsLeft = Math.floor((queuedAt + job.ttlSeconds * 1000 - this.now()) / 1000);
    if (secondsLeft <= 0) {
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
    // Checks for the delivery job and for a delivery already made, and stores the hash, in one round trip.
    const guards = [this.producer.queue(target).toKey(deliveryId), this.delivered.key(job.challengeId)];
    const stored = await this.codes.putUnlessExists(job.challengeId, code, secondsLeft, guards);
    if (!stored) return 'already-issued';
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
}
