import { Injectable } from '@nestjs/common';
import { constantTimeEqual, saltedHash } from '@mfa/crypto';
import { AuditEventType, normalizeRecoveryCode } from '@mfa/domain';
import { AuditRepository, Database, RecoveryCodeRepository } from '@mfa/persistence';
import { GatewayMetrics } from '@mfa/observability';
import { Clock } from '../services/clock';
import { LockoutService } from '../services/lockout.service';
import type { TenantContext } from '../services/tenant-context';

export interface RedeemResult {
  ok: boolean;
  /** Failures left before the user is locked out. */
  attemptsRemaining: number;
}

@Injectable()
export class RedeemRecoveryCodeUseCase {
  constructor(
    private readonly database: Database,
    private readonly lockout: LockoutService,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, userId: string, code: string): Promise<RedeemResult> {
    const normalized = normalizeRecoveryCode(code);
    const now = this.clock.now();
    return this.database.withUserLock(tenant.tenantId, userId, async (manager, state) => {
      this.lockout.assertNotLocked(state, now);
      const codes = new RecoveryCodeRepository(manager);
      // Every unused code is compared, so timing does not tell which (or whether any) matched.
      let match: string | undefined;
      for (const candidate of await codes.listUnused(tenant.tenantId, userId)) {
        if (constantTimeEqual(saltedHash(normalized, candidate.salt), candidate.codeHash) && match === undefined) match = candidate.id;
      }
      const audit = new AuditRepository(manager);
      if (match !== undefined && (await codes.markUsed(match, now))) {
        await this.lockout.recordSuccess(manager, state, now);
        await audit.append({ tenantId: tenant.tenantId, userId, type: AuditEventType.RecoveryCodeRedeemed, details: { codes_left: String(await codes.countUnused(tenant.tenantId, userId)) } }, now);
        this.metrics.verifyAttempts.inc({ type: 'RECOVERY_CODE', result: 'ok' });
        return { ok: true, attemptsRemaining: tenant.policy.lockoutThreshold };
      }
      this.metrics.verifyAttempts.inc({ type: 'RECOVERY_CODE', result: 'wrong' });
      await audit.append({ tenantId: tenant.tenantId, userId, type: AuditEventType.RecoveryCodeRejected }, now);
      const attemptsRemaining = await this.lockout.recordFailure(manager, state, tenant.policy, now);
      return { ok: false, attemptsRemaining };
    });
  }
}
