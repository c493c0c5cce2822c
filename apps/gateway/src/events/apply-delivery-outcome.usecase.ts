import { Injectable } from '@nestjs/common';
import { AuditEventType, transitionDelivery } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, Database } from '@mfa/persistence';
import type { ChallengeEventJob } from '@mfa/queue';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';

export type DeliveryEvent = Extract<ChallengeEventJob, { type: 'delivery.sent' | 'delivery.failed' }>;

/**
 * A worker's report about a delivery: QUEUED → SENT when the provider accepted the message;
 * a final failure makes the delivery and a still-pending challenge FAILED with the reason.
 * Reports may arrive twice or late; each is applied at most once and never reopens anything.
 */
@Injectable()
export class ApplyDeliveryOutcomeUseCase {
  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
  ) {}

  async execute(event: DeliveryEvent): Promise<void> {
    if (event.type === 'delivery.sent') {
      // QUEUED → SENT is the only way into SENT and changes nothing else of the challenge: one
      // conditional UPDATE applies it atomically, with no read and no user lock (every SMS takes this path).
      const changed = await new ChallengeRepository(this.database.manager).advanceDelivery(event.challengeId, 'QUEUED', transitionDelivery('QUEUED', 'SENT'));
      if (changed) await this.notifier.publish(event.challengeId);
      return;
    }
    const found = await new ChallengeRepository(this.database.manager).findById(event.challengeId);
    if (!found) return; // deleted with its factor: nothing left to update
    const now = this.clock.now();
    const changed = await this.database.withUserLock(found.tenantId, found.userId, async (manager) => {
      const challenge = await new ChallengeRepository(manager).findById(event.challengeId);
      if (!challenge || challenge.delivery === 'FAILED' || challenge.delivery === 'NOT_REQUIRED') return false;
      await this.lifecycle.failDelivery(manager, challenge, event.reason, now);
      await new AuditRepository(manager).append(
        { tenantId: challenge.tenantId, userId: challenge.userId, type: AuditEventType.DeliveryFailed, factorId: challenge.factorId, challengeId: challenge.id, details: { provider: event.provider, reason: event.reason } },
        now,
      );
      return true;
    });
    if (changed) await this.notifier.publish(event.challengeId);
  }
}
