import { Inject, Injectable } from '@nestjs/common';
import { Keyring } from '@mfa/crypto';
import { DomainError, DomainErrorCode, type OutOfBandFactorType } from '@mfa/domain';
import { factorDestinationAad, type ChallengeEntity, type FactorEntity } from '@mfa/persistence';
import { JobIds, JobProducer, QueueName, sealedDestinationAad, type OutOfBandChannel } from '@mfa/queue';
import type { GatewayConfig } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';

const CHANNEL: Record<OutOfBandFactorType, OutOfBandChannel> = { SMS: 'sms', VOICE: 'voice', EMAIL: 'email' };

/** Hands an out-of-band challenge to the otp worker, with its destination sealed for the job. */
@Injectable()
export class OutOfBandDispatcher {
  constructor(
    private readonly producer: JobProducer,
    private readonly keyring: Keyring,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async dispatch(challenge: ChallengeEntity, factor: FactorEntity): Promise<void> {
    if (!factor.destinationEnc || challenge.codeLength === null) throw new Error(`factor ${factor.id} has no destination`);
    const destination = this.keyring.decryptText(factor.destinationEnc, factorDestinationAad(factor.id));
    try {
      await this.producer.add(QueueName.Otp, JobIds.otp(challenge.id), {
        v: 1,
        challengeId: challenge.id,
        tenantId: challenge.tenantId,
        channel: CHANNEL[factor.type as OutOfBandFactorType],
        sealedDestination: this.keyring.encrypt(destination, sealedDestinationAad(challenge.id)),
        codeLength: challenge.codeLength,
        ttlSeconds: Math.max(1, Math.round((challenge.expiresAt - challenge.createdAt) / 1000)),
        locale: challenge.locale,
        purpose: challenge.purpose,
        issuer: this.config.issuer,
      });
    } catch {
      throw new DomainError(DomainErrorCode.Unavailable, 'the delivery queue is unavailable, retry later');
    }
  }
}
