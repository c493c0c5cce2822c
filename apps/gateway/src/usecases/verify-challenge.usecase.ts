import { Injectable } from '@nestjs/common';
import { Keyring } from '@mfa/crypto';
import { assertCodeShape, failedPrecondition, invalidArgument, isExpired, notFound } from '@mfa/domain';
import type { EntityManager } from 'typeorm';
import { ChallengeRepository, Database, factorDestinationAad, FactorRepository, UserStateRepository, type ChallengeEntity, type FactorEntity, type UserStateEntity } from '@mfa/persistence';
import { AttemptRecorder } from '../services/attempt-recorder.service';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { DeliveryWithdrawal } from '../services/delivery-withdrawal.service';
import { CodeChecker, type CodeCheck } from '../services/code-checker.service';
import { DuoClient } from '../services/duo-client.service';
import { LockoutService } from '../services/lockout.service';
import { PromptRateLimiter } from '../services/send-rate-limiter';
import type { TenantContext } from '../services/tenant-context';
import { challengeView, type ChallengeView } from '../services/views';
import { GetChallengeUseCase } from './get-challenge.usecase';

export interface VerifyChallengeCommand {
  challengeId: string;
  code: string;
}

export interface VerifyResult {
  ok: boolean;
  challenge: ChallengeView;
  attemptsRemaining: number;
}

type Settled = { expired: true } | { expired: false; ok: boolean; challenge: ChallengeEntity };
type ChallengeWithFactor = { challenge: ChallengeEntity; factor: FactorEntity | null };
type Outcome = Settled | { askDuo: ChallengeWithFactor };

/** PUSH is answered on the device, Duo in the Duo app: VerifyChallenge without a code reports the outcome. */
const answeredElsewhere = (type: string): boolean => type === 'PUSH' || type === 'DUO';

@Injectable()
export class VerifyChallengeUseCase {
  constructor(
    private readonly database: Database,
    private readonly codes: CodeChecker,
    private readonly attempts: AttemptRecorder,
    private readonly lockout: LockoutService,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly withdrawal: DeliveryWithdrawal,
    private readonly getChallenge: GetChallengeUseCase,
    private readonly duo: DuoClient,
    private readonly prompts: PromptRateLimiter,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, command: VerifyChallengeCommand): Promise<VerifyResult> {
    if (command.code === '') return this.withoutCode(tenant, command.challengeId);
    const now = this.clock.now();
    // The user is locked by way of the challenge, so a code costs no read before the lock.
    const outcome = await this.database.withChallengeUserLock(tenant.tenantId, command.challengeId, async (manager, state): Promise<Outcome> => {
      if (!state) throw notFound('challenge');
      const current = await new ChallengeRepository(manager).findInTenantWithFactor(tenant.tenantId, command.challengeId);
      if (!current) throw notFound('challenge');
      this.assertCodeShape(current.challenge, command.code);
      if (current.challenge.type !== 'DUO') return this.settle(manager, tenant, state, current, command.code, undefined, now);
      // Duo is asked outside any transaction, so a slow answer holds no lock: refuse now what the
      // lock would refuse anyway (so Duo is not asked for nothing), then leave without a write.
      this.lockout.assertNotLocked(state, now);
      if (current.challenge.status !== 'PENDING' || isExpired(current.challenge.expiresAt, now)) throw failedPrecondition('challenge is no longer pending');
      return { askDuo: current };
    });
    if ('askDuo' in outcome) return this.verifyWithDuo(tenant, outcome.askDuo, command.code, now);
    return this.finish(command.challengeId, outcome);
  }

  /** A code for a Duo challenge: Duo checks the passcode first, then its verdict counts like any code's. */
  private async verifyWithDuo(tenant: TenantContext, { challenge: found, factor }: ChallengeWithFactor, code: string, now: number): Promise<VerifyResult> {
    const verdict = await this.askDuo(found, factor, code);
    const outcome = await this.database.withUserLock(tenant.tenantId, found.userId, async (manager, state) => {
      const current = await new ChallengeRepository(manager).findInTenantWithFactor(tenant.tenantId, found.id);
      if (!current) throw notFound('challenge');
      return this.settle(manager, tenant, state, current, code, verdict, now);
    });
    if (!outcome.expired && outcome.ok) await this.prompts.startOver(tenant.tenantId, found.factorId);
    // The passcode came from the Duo app, not from the push StartChallenge queued: a push still
    // queued for a challenge this answer ended (approved, or out of attempts) must not reach the user.
    if (!outcome.expired && outcome.challenge.status !== 'PENDING') await this.withdrawal.withdraw([outcome.challenge]);
    return this.finish(found.id, outcome);
  }

  /** Under the user lock: the lockout, the challenge's state, then the code itself (or Duo's verdict on it). */
  private async settle(
    manager: EntityManager,
    tenant: TenantContext,
    state: UserStateEntity,
    { challenge, factor }: ChallengeWithFactor,
    code: string,
    duoVerdict: CodeCheck | undefined,
    now: number,
  ): Promise<Settled> {
    this.lockout.assertNotLocked(state, now);
    if (await this.lifecycle.expireIfDue(manager, challenge, now)) return { expired: true };
    if (challenge.status !== 'PENDING') throw failedPrecondition(`challenge is no longer pending (${challenge.status.toLowerCase()})`);
    if (challenge.purpose !== 'challenge') throw failedPrecondition('this is an enrollment check: answer it with ConfirmEnrollment');

    const result = duoVerdict ?? (await this.codes.check(manager, challenge, factor, code, now));
    if (result === 'ok') {
      // This answer reports the approval: a call without a code cannot report it again.
      challenge.redeemedAt = now;
      await this.attempts.right(manager, challenge, state, now);
      if (factor && factor.type !== 'TOTP') {
        factor.lastUsedAt = now;
        await new FactorRepository(manager).save(factor);
      }
      return { expired: false, ok: true, challenge };
    }
    await this.attempts.wrong(manager, challenge, state, tenant.policy, result, now);
    return { expired: false, ok: false, challenge };
  }

  private async finish(challengeId: string, outcome: Settled): Promise<VerifyResult> {
    // Not awaited: the approval is committed, and a slow Redis must not hold its answer back.
    if (!outcome.expired && outcome.ok) void this.codes.spent(outcome.challenge);
    await this.notifier.publish(challengeId);
    if (outcome.expired) throw failedPrecondition('challenge is no longer pending (expired)');
    return { ok: outcome.ok, challenge: challengeView(outcome.challenge), attemptsRemaining: outcome.challenge.attemptsRemaining };
  }

  /**
   * PUSH and Duo challenges are answered elsewhere; a call without a code reports the outcome
   * (an approval once). For the others a code is required.
   */
  private async withoutCode(tenant: TenantContext, challengeId: string): Promise<VerifyResult> {
    const challenges = new ChallengeRepository(this.database.manager);
    const found = await challenges.findInTenant(tenant.tenantId, challengeId);
    if (!found) throw notFound('challenge');
    if (!answeredElsewhere(found.type)) throw invalidArgument('code', 'code is required');
    const now = this.clock.now();
    // A locked user's approvals do not count, as a right code would not: "this wasn't me" on one
    // push must also stop a login approved a moment before.
    const state = await new UserStateRepository(this.database.manager).find(tenant.tenantId, found.userId);
    if (state) this.lockout.assertNotLocked(state, now);
    if (found.status === 'APPROVED') {
      // An approval is reported once, as a right code is accepted once: a replayed call must not
      // complete a second login on the strength of the first one.
      if (!(await challenges.redeemApproval(found.id, now))) throw failedPrecondition('challenge is no longer pending (approved, and already reported or expired)');
      return { ok: true, challenge: challengeView(found), attemptsRemaining: found.attemptsRemaining };
    }
    // Still pending, or ended otherwise: ok=false with the state; uses no attempt.
    const challenge = await this.getChallenge.viewOf(tenant, found);
    return { ok: false, challenge, attemptsRemaining: challenge.attemptsRemaining };
  }

  /** A code of the wrong shape is malformed input: refused before it can use an attempt. */
  private assertCodeShape(challenge: ChallengeEntity, code: string): void {
    const digits = this.codes.expectedDigits(challenge);
    if (digits !== null) assertCodeShape(code, digits);
  }

  /** Duo's verdict on the passcode; a factor without a Duo username cannot be right. */
  private async askDuo(challenge: ChallengeEntity, factor: FactorEntity | null, code: string): Promise<CodeCheck> {
    if (!factor?.destinationEnc) return 'wrong';
    const username = this.keyring.decryptText(factor.destinationEnc, factorDestinationAad(factor.id));
    return (await this.duo.passcode(challenge.id, factor.id, username, code)).result === 'allow' ? 'ok' : 'wrong';
  }
}
