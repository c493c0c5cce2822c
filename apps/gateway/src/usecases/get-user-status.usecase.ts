import { Injectable } from '@nestjs/common';
import { isLocked } from '@mfa/domain';
import { Database, FactorRepository, RecoveryCodeRepository, UserStateRepository } from '@mfa/persistence';
import { Clock } from '../services/clock';
import { DuoFactorService } from '../services/duo-factor.service';
import type { TenantContext } from '../services/tenant-context';
import { factorView, type FactorView } from '../services/views';

export interface UserStatusView {
  userId: string;
  enrolled: boolean;
  mfaRequired: boolean;
  factors: FactorView[];
  lockedUntil: number | null;
  recoveryCodesLeft: number;
}

@Injectable()
export class GetUserStatusUseCase {
  constructor(
    private readonly database: Database,
    private readonly duoFactors: DuoFactorService,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, userId: string): Promise<UserStatusView> {
    const manager = this.database.manager;
    const [factors, state, recoveryCodesLeft] = await Promise.all([
      new FactorRepository(manager).listForUser(tenant.tenantId, userId),
      new UserStateRepository(manager).find(tenant.tenantId, userId),
      new RecoveryCodeRepository(manager).countUnused(tenant.tenantId, userId),
    ]);
    const locked = state !== null && isLocked({ consecutiveFailures: state.consecutiveFailures, lockedUntilMs: state.lockedUntil }, this.clock.now());
    return {
      userId,
      enrolled: factors.some((f) => f.status === 'ACTIVE'),
      mfaRequired: tenant.policy.mfaRequired,
      factors: this.duoFactors.withEnrollUrls(factors).map(factorView),
      lockedUntil: locked ? state.lockedUntil : null,
      recoveryCodesLeft,
    };
  }
}
