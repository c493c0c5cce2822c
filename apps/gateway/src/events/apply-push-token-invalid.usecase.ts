import { Injectable } from '@nestjs/common';
import { AuditEventType } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import type { ChallengeEventJob } from '@mfa/queue';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';

export type PushTokenInvalidEvent = Extract<ChallengeEventJob, { type: 'push.token_invalid' }>;

/** The reason a challenge whose push found the device's token dead ends FAILED with. */
export const DEAD_PUSH_TOKEN_REASON = "the device's push token is no longer valid (app reinstalled or token rotated): start a new challenge, the app fetches it when opened";

/**
 * FCM says the device's token is dead (app uninstalled, token rotated): a final provider error.
 * The token is forgotten, so later challenges are not pushed and the app fetches them when it
 * polls; the challenge that found out ends FAILED with the reason, as any final delivery failure
 * does (API.md), so the login screen knows at once instead of waiting out the lifetime for a
 * notification that will not come.
 */
@Injectable()
export class ApplyPushTokenInvalidUseCase {
  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
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
      if (challenge && challenge.delivery === 'QUEUED') await this.lifecycle.failDelivery(manager, challenge, DEAD_PUSH_TOKEN_REASON, now);
      await new AuditRepository(manager).append(
        { tenantId: factor.tenantId, userId: factor.userId, type: AuditEventType.DeliveryFailed, factorId: factor.id, challengeId: event.challengeId, details: { provider: event.provider, reason: 'push token no longer valid: the device will poll' } },
        now,
      );
    });
    await this.notifier.publish(event.challengeId);
  }
}
