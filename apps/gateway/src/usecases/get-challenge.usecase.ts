import { Injectable } from '@nestjs/common';
import { isExpired, notFound } from '@mfa/domain';
import { ChallengeRepository, Database, type ChallengeEntity } from '@mfa/persistence';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import type { TenantContext } from '../services/tenant-context';
import { challengeView, type ChallengeView } from '../services/views';

@Injectable()
export class GetChallengeUseCase {
  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, challengeId: string): Promise<ChallengeView> {
    const challenge = await new ChallengeRepository(this.database.manager).findInTenant(tenant.tenantId, challengeId);
    if (!challenge) throw notFound('challenge');
    return this.viewOf(tenant, challenge);
  }

  /** The view of a challenge just read in the tenant; one whose lifetime is over is expired first. */
  async viewOf(tenant: TenantContext, challenge: ChallengeEntity): Promise<ChallengeView> {
    const now = this.clock.now();
    const challengeId = challenge.id;
    if (challenge.status !== 'PENDING' || !isExpired(challenge.expiresAt, now)) return challengeView(challenge);
    const settled = await this.database.withUserLock(tenant.tenantId, challenge.userId, async (manager) => {
      const current = await new ChallengeRepository(manager).findInTenant(tenant.tenantId, challengeId);
      if (!current) throw notFound('challenge');
      return { current, expired: await this.lifecycle.expireIfDue(manager, current, now) };
    });
    if (settled.expired) await this.notifier.publish(challengeId);
    return challengeView(settled.current);
  }
}
