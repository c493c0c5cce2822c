import { Injectable } from '@nestjs/common';
import { assertCodeShape, AuditEventType, DomainError, DomainErrorCode, failedPrecondition, notFound, TOTP_DIGITS } from '@mfa/domain';
import { AuditRepository, Database, FactorRepository } from '@mfa/persistence';
import { Clock } from '../services/clock';
import { LockoutService } from '../services/lockout.service';
import type { TenantContext } from '../services/tenant-context';
import { TotpVerifier } from '../services/totp-verifier.service';
import { factorView, type FactorView } from '../services/views';

export interface ConfirmEnrollmentCommand {
  userId: string;
  factorId: string;
  code: string;
}

@Injectable()
export class ConfirmEnrollmentUseCase {
  constructor(
    private readonly database: Database,
    private readonly totpVerifier: TotpVerifier,
    private readonly lockout: LockoutService,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, command: ConfirmEnrollmentCommand): Promise<FactorView> {
    const now = this.clock.now();
    const outcome = await this.database.withUserLock(tenant.tenantId, command.userId, async (manager, state) => {
      const factor = await new FactorRepository(manager).findForUser(tenant.tenantId, command.userId, command.factorId);
      if (!factor) throw notFound('factor');
      if (factor.type !== 'TOTP') throw new DomainError(DomainErrorCode.Unimplemented, `confirming ${factor.type} factors is not available yet`);
      assertCodeShape(command.code, TOTP_DIGITS);
      this.lockout.assertNotLocked(state, now);
      if (factor.status !== 'PENDING') throw failedPrecondition(`factor is ${factor.status.toLowerCase()}, not pending confirmation`);
      const result = await this.totpVerifier.verifyAndConsume(manager, factor, command.code, now);
      const audit = new AuditRepository(manager);
      if (result !== 'ok') {
        await this.lockout.recordFailure(manager, state, tenant.policy, now);
        await audit.append({ tenantId: tenant.tenantId, userId: command.userId, type: result === 'replay' ? AuditEventType.ReplayRejected : AuditEventType.VerifyFailed, factorId: factor.id, details: { during: 'enrollment' } }, now);
        return { ok: false as const };
      }
      factor.status = 'ACTIVE';
      await new FactorRepository(manager).save(factor);
      await this.lockout.recordSuccess(manager, state, now);
      await audit.append({ tenantId: tenant.tenantId, userId: command.userId, type: AuditEventType.FactorConfirmed, factorId: factor.id }, now);
      return { ok: true as const, factor };
    });
    // Thrown after the transaction so the failure count it recorded is kept.
    if (!outcome.ok) throw new DomainError(DomainErrorCode.InvalidArgument, 'the code is not correct', { field: 'code', reason: 'wrong_code' });
    return factorView(outcome.factor);
  }
}
