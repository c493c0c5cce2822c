import { Injectable } from '@nestjs/common';
import { AuditEventType } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import type { ChallengeEventJob } from '@mfa/queue';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';

export type PushTokenInvalidEvent = Extract<ChallengeEventJob, { type: 'push.token_invalid' }>;

/**
 * FCM says the device's token is dead (app uninstalled, token rotated): forget it, so later
 * challenges are not pushed and the device is served by polling. The challenge that found out
 * stays pending, since the app can still fetch it; only its delivery failed.
 */
@Injectable()
export class ApplyPushTokenInvalidUseCase {
  constructor(
    private readonly database: Database,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
  ) {}

  async execute(event: PushTokenInvalidEvent): Promise<void> {
    const factor = await new FactorRepository(this.database.manager).findById(event.factorId);
    if (!factor) return;
    const now = this.clock.now();
    await this.database.withUserLock(factor.tenantId, factor.userId, async (manager) => {
      const factors = new FactorRepository(manager);
      const current = await factors.findById(event.factorId);
      if (current?.pushTokenEnc) {
        current.pushTokenEnc = null;
        await factors.save(current);
      }
      const challenges = new ChallengeRepository(manager);
      const challenge = await challenges.findById(event.challengeId);
      if (challenge && challenge.delivery === 'QUEUED') {
        challenge.delivery = 'FAILED';
        await challenges.save(challenge);
      }
      await new AuditRepository(manager).append(
        { tenantId: factor.tenantId, userId: factor.userId, type: AuditEventType.DeliveryFailed, factorId: factor.id, challengeId: event.challengeId, details: { provider: event.provider, reason: 'push token no longer valid: the device will poll' } },
        now,
      );
    });
    await this.notifier.publish(event.challengeId);
  }
}
