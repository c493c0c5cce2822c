import { Injectable } from '@nestjs/common';
import { assertCodeShape, AuditEventType, DomainError, DomainErrorCode, failedPrecondition, notFound, registerWrongCode, TOTP_DIGITS } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import { GatewayMetrics } from '@mfa/observability';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { Clock } from '../services/clock';
import { LockoutService } from '../services/lockout.service';
import type { TenantContext } from '../services/tenant-context';
import { TotpVerifier } from '../services/totp-verifier.service';
import { challengeView, type ChallengeView } from '../services/views';

export interface VerifyChallengeCommand {
  challengeId: string;
  code: string;
}

export interface VerifyResult {
  ok: boolean;
  challenge: ChallengeView;
  attemptsRemaining: number;
}

@Injectable()
export class VerifyChallengeUseCase {
  constructor(
    private readonly database: Database,
    private readonly totpVerifier: TotpVerifier,
    private readonly lockout: LockoutService,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, command: VerifyChallengeCommand): Promise<VerifyResult> {
    const found = await new ChallengeRepository(this.database.manager).findInTenant(tenant.tenantId, command.challengeId);
    if (!found) throw notFound('challenge');
    if (found.type !== 'TOTP') throw new DomainError(DomainErrorCode.Unimplemented, `verifying ${found.type} challenges is not available yet`);
    assertCodeShape(command.code, TOTP_DIGITS);
    const now = this.clock.now();

    const outcome = await this.database.withUserLock(tenant.tenantId, found.userId, async (manager, state) => {
      this.lockout.assertNotLocked(state, now);
      // Re-read under the lock: another request may have settled it meanwhile.
      const challenge = await new ChallengeRepository(manager).findInTenant(tenant.tenantId, command.challengeId);
      if (!challenge) throw notFound('challenge');
      if (await this.lifecycle.expireIfDue(manager, challenge, now)) return { expired: true as const };
      if (challenge.status !== 'PENDING') throw failedPrecondition(`challenge is no longer pending (${challenge.status.toLowerCase()})`);

      const factor = await new FactorRepository(manager).findInTenant(tenant.tenantId, challenge.factorId);
      const result = factor ? await this.totpVerifier.verifyAndConsume(manager, factor, command.code, now) : 'wrong';
      this.metrics.verifyAttempts.inc({ type: challenge.type, result: result === 'ok' ? 'ok' : result });
      if (result === 'ok') {
        await this.lockout.recordSuccess(manager, state, now);
        await this.lifecycle.settle(manager, challenge, { type: 'approve' }, now);
        return { expired: false as const, ok: true, challenge };
      }
      const attempt = registerWrongCode(challenge.attemptsRemaining);
      challenge.attemptsRemaining = attempt.attemptsRemaining;
      await new AuditRepository(manager).append(
        { tenantId: tenant.tenantId, userId: challenge.userId, type: result === 'replay' ? AuditEventType.ReplayRejected : AuditEventType.VerifyFailed, factorId: challenge.factorId, challengeId: challenge.id, details: { attempts_remaining: String(attempt.attemptsRemaining) } },
        now,
      );
      if (attempt.exhausted) {
        await this.lifecycle.settle(manager, challenge, { type: 'fail', reason: 'too many wrong codes' }, now);
      } else {
        await new ChallengeRepository(manager).save(challenge);
      }
      await this.lockout.recordFailure(manager, state, tenant.policy, now);
      return { expired: false as const, ok: false, challenge };
    });
    if (outcome.expired) throw failedPrecondition('challenge is no longer pending (expired)');
    return { ok: outcome.ok, challenge: challengeView(outcome.challenge), attemptsRemaining: outcome.challenge.attemptsRemaining };
  }
}
