import { Injectable } from '@nestjs/common';
import { AuditEventType, notFound } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { DeliveryWithdrawal } from '../services/delivery-withdrawal.service';
import type { TenantContext } from '../services/tenant-context';

@Injectable()
export class DeleteFactorUseCase {
  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly withdrawal: DeliveryWithdrawal,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, userId: string, factorId: string): Promise<void> {
    const now = this.clock.now();
    const canceled = await this.database.withUserLock(tenant.tenantId, userId, async (manager) => {
      const factors = new FactorRepository(manager);
      const factor = await factors.findForUser(tenant.tenantId, userId, factorId);
      if (!factor) throw notFound('factor');
      // A challenge on a removed factor can never be answered: end it now rather than leave it pending.
      const pending = await new ChallengeRepository(manager).findPendingForFactor(factor.id);
      for (const challenge of pending) await this.lifecycle.settle(manager, challenge, { type: 'cancel' }, now);
      await factors.delete(factor.id);
      await new AuditRepository(manager).append({ tenantId: tenant.tenantId, userId, type: AuditEventType.FactorDeleted, factorId, details: { type: factor.type } }, now);
      return pending;
    });
    await this.withdrawal.withdraw(canceled);
    for (const challenge of canceled) await this.notifier.publish(challenge.id);
  }
}
