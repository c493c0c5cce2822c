import { Injectable } from '@nestjs/common';
import { failedPrecondition, notFound } from '@mfa/domain';
import { ChallengeRepository, Database } from '@mfa/persistence';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { DeliveryWithdrawal } from '../services/delivery-withdrawal.service';
import type { TenantContext } from '../services/tenant-context';
import { challengeView, type ChallengeView } from '../services/views';

@Injectable()
export class CancelChallengeUseCase {
  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly withdrawal: DeliveryWithdrawal,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, challengeId: string): Promise<ChallengeView> {
    const now = this.clock.now();
    const found = await new ChallengeRepository(this.database.manager).findInTenant(tenant.tenantId, challengeId);
    if (!found) throw notFound('challenge');
    const outcome = await this.database.withUserLock(tenant.tenantId, found.userId, async (manager) => {
      const challenge = await new ChallengeRepository(manager).findInTenant(tenant.tenantId, challengeId);
      if (!challenge) throw notFound('challenge');
      if (await this.lifecycle.expireIfDue(manager, challenge, now)) return { expired: true as const };
      if (challenge.status !== 'PENDING') throw failedPrecondition(`challenge is no longer pending (${challenge.status.toLowerCase()})`);
      await this.lifecycle.settle(manager, challenge, { type: 'cancel' }, now);
      return { expired: false as const, challenge };
    });
    if (outcome.expired) {
      await this.notifier.publish(challengeId);
      throw failedPrecondition('challenge is no longer pending (expired)');
    }
    await this.withdrawal.withdraw([outcome.challenge]);
    await this.notifier.publish(challengeId);
    return challengeView(outcome.challenge);
  }
}
