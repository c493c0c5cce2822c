import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { assertCodeShape, AuditEventType, DomainError, DomainErrorCode, failedPrecondition, isOutOfBand, notFound, TOTP_DIGITS } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, Database, FactorRepository, type ChallengeEntity, type FactorEntity, type UserStateEntity } from '@mfa/persistence';
import { AttemptRecorder } from '../services/attempt-recorder.service';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { DuoFactorService } from '../services/duo-factor.service';
import { CodeChecker } from '../services/code-checker.service';
import { LockoutService } from '../services/lockout.service';
import type { TenantContext } from '../services/tenant-context';
import { TotpVerifier } from '../services/totp-verifier.service';
import { factorView, type FactorView } from '../services/views';

export interface ConfirmEnrollmentCommand {
  userId: string;
  factorId: string;
  code: string;
}

/** `spent`: the ownership check a right code answered, whose stored code goes after the commit. */
type Confirmed = { ok: true; factor: FactorEntity; spent?: ChallengeEntity };
type Outcome = Confirmed | { ok: false; message: string; challengeId?: string };

const WRONG_CODE = 'the code is not correct';

/**
 * Activates a pending factor with the first code: from the authenticator app (TOTP) or from the
 * ownership check sent at enrollment (SMS, voice, e-mail). A wrong code is INVALID_ARGUMENT, and
 * counts toward the user's lockout like any other wrong code.
 */
@Injectable()
export class ConfirmEnrollmentUseCase {
  constructor(
    private readonly database: Database,
    private readonly totpVerifier: TotpVerifier,
    private readonly codes: CodeChecker,
    private readonly attempts: AttemptRecorder,
    private readonly lockout: LockoutService,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly duoFactors: DuoFactorService,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, command: ConfirmEnrollmentCommand): Promise<FactorView> {
    const now = this.clock.now();
    const found = await new FactorRepository(this.database.manager).findForUser(tenant.tenantId, command.userId, command.factorId);
    if (found?.type === 'DUO') return factorView(await this.duoFactors.recheck(found));
    const outcome = await this.database.withUserLock(tenant.tenantId, command.userId, async (manager, state): Promise<Outcome> => {
      const factor = await new FactorRepository(manager).findForUser(tenant.tenantId, command.userId, command.factorId);
      if (!factor) throw notFound('factor');
      if (factor.type === 'TOTP') return this.confirmTotp(manager, tenant, factor, state, command.code, now);
      if (isOutOfBand(factor.type)) return this.confirmOutOfBand(manager, tenant, factor, state, command.code, now);
      throw failedPrecondition("PUSH factors are confirmed when the authenticator app enrolls with its ticket");
    });
    // The ownership check changed either way (an attempt used, or APPROVED): its watchers hear it at once, not at their next poll.
    const check = outcome.ok ? outcome.spent?.id : outcome.challengeId;
    if (check) await this.notifier.publish(check);
    if (!outcome.ok) {
      // Thrown after the transaction so the failure it recorded is kept.
      throw new DomainError(DomainErrorCode.InvalidArgument, outcome.message, { field: 'code', reason: 'wrong_code' });
    }
    // Not awaited: the confirmation is committed, and a slow Redis must not hold its answer back.
    if (outcome.spent) void this.codes.spent(outcome.spent);
    return factorView(outcome.factor);
  }

  private assertConfirmable(factor: FactorEntity, state: UserStateEntity, now: number): void {
    this.lockout.assertNotLocked(state, now);
    if (factor.status !== 'PENDING') throw failedPrecondition(`factor is ${factor.status.toLowerCase()}, not pending confirmation`);
  }

  private async activate(manager: EntityManager, factor: FactorEntity, now: number): Promise<Confirmed> {
    factor.status = 'ACTIVE';
    await new FactorRepository(manager).save(factor);
    await new AuditRepository(manager).append({ tenantId: factor.tenantId, userId: factor.userId, type: AuditEventType.FactorConfirmed, factorId: factor.id }, now);
    return { ok: true, factor };
  }

  private async confirmTotp(manager: EntityManager, tenant: TenantContext, factor: FactorEntity, state: UserStateEntity, code: string, now: number): Promise<Outcome> {
    assertCodeShape(code, TOTP_DIGITS);
    this.assertConfirmable(factor, state, now);
    const result = await this.totpVerifier.verifyAndConsume(manager, factor, code, now);
    if (result === 'ok') {
      await this.lockout.recordSuccess(manager, state, now);
      return this.activate(manager, factor, now);
    }
    await this.lockout.recordFailure(manager, state, tenant.policy, now);
    await new AuditRepository(manager).append(
      { tenantId: tenant.tenantId, userId: factor.userId, type: result === 'replay' ? AuditEventType.ReplayRejected : AuditEventType.VerifyFailed, factorId: factor.id, details: { purpose: 'enrollment' } },
      now,
    );
    return { ok: false, message: WRONG_CODE };
  }

  private async confirmOutOfBand(manager: EntityManager, tenant: TenantContext, factor: FactorEntity, state: UserStateEntity, code: string, now: number): Promise<Outcome> {
    const challenge = await new ChallengeRepository(manager).findPendingEnrollment(factor.id);
    if (challenge) assertCodeShape(code, this.codes.expectedDigits(challenge) ?? TOTP_DIGITS);
    this.assertConfirmable(factor, state, now);
    if (!challenge || (await this.lifecycle.expireIfDue(manager, challenge, now))) {
      throw failedPrecondition('no ownership check is pending for this factor: enroll it again to get a new code');
    }
    const result = await this.codes.check(manager, challenge, factor, code, now);
    if (result === 'ok') {
      await this.attempts.right(manager, challenge, state, now);
      return { ...(await this.activate(manager, factor, now)), spent: challenge };
    }
    const exhausted = await this.attempts.wrong(manager, challenge, state, tenant.policy, result, now);
    if (exhausted) {
      factor.status = 'FAILED';
      await new FactorRepository(manager).save(factor);
    }
    return { ok: false, message: exhausted ? `${WRONG_CODE}; no attempts left, enroll the factor again` : WRONG_CODE, challengeId: challenge.id };
  }
}
