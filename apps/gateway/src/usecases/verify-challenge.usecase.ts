import { Injectable } from '@nestjs/common';
import { Keyring } from '@mfa/crypto';
import { assertCodeShape, failedPrecondition, invalidArgument, isExpired, notFound } from '@mfa/domain';
import { ChallengeRepository, Database, factorDestinationAad, FactorRepository, UserStateRepository, type ChallengeEntity } from '@mfa/persistence';
import { AttemptRecorder } from '../services/attempt-recorder.service';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { CodeChecker, type CodeCheck } from '../services/code-checker.service';
import { DuoClient } from '../services/duo-client.service';
import { LockoutService } from '../services/lockout.service';
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
    private readonly getChallenge: GetChallengeUseCase,
    private readonly duo: DuoClient,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, command: VerifyChallengeCommand): Promise<VerifyResult> {
    const found = await new ChallengeRepository(this.database.manager).findInTenant(tenant.tenantId, command.challengeId);
    if (!found) throw notFound('challenge');
    if (answeredElsewhere(found.type)) {
      if (command.code === '') return this.outcomeOf(tenant, command.challengeId);
    } else if (command.code === '') {
      throw invalidArgument('code', 'code is required');
    }
    // A code of the wrong shape is malformed input: refused before it can use an attempt.
    const digits = this.codes.expectedDigits(found);
    if (digits !== null) assertCodeShape(command.code, digits);
    const now = this.clock.now();
    // Duo checks the passcode; the question goes out before the user lock is taken, so a slow
    // answer from Duo holds no transaction open.
    const duoVerdict = found.type === 'DUO' ? await this.askDuo(tenant, found, command.code, now) : undefined;

    const outcome = await this.database.withUserLock(tenant.tenantId, found.userId, async (manager, state) => {
      this.lockout.assertNotLocked(state, now);
      // Re-read under the lock: another request may have settled it meanwhile.
      const current = await new ChallengeRepository(manager).findInTenantWithFactor(tenant.tenantId, command.challengeId);
      if (!current) throw notFound('challenge');
      const { challenge, factor } = current;
      if (await this.lifecycle.expireIfDue(manager, challenge, now)) return { expired: true as const };
      if (challenge.status !== 'PENDING') throw failedPrecondition(`challenge is no longer pending (${challenge.status.toLowerCase()})`);
      if (challenge.purpose !== 'challenge') throw failedPrecondition('this is an enrollment check: answer it with ConfirmEnrollment');

      const result = duoVerdict ?? (await this.codes.check(manager, challenge, factor, command.code, now));
      if (result === 'ok') {
        await this.attempts.right(manager, challenge, state, now);
        if (factor && factor.type !== 'TOTP') {
          factor.lastUsedAt = now;
          await new FactorRepository(manager).save(factor);
        }
        return { expired: false as const, ok: true, challenge };
      }
      await this.attempts.wrong(manager, challenge, state, tenant.policy, result, now);
      return { expired: false as const, ok: false, challenge };
    });
    await this.notifier.publish(command.challengeId);
    if (outcome.expired) throw failedPrecondition('challenge is no longer pending (expired)');
    return { ok: outcome.ok, challenge: challengeView(outcome.challenge), attemptsRemaining: outcome.challenge.attemptsRemaining };
  }

  /** Refuses early what the lock would refuse anyway, so Duo is not asked for nothing. */
  private async askDuo(tenant: TenantContext, challenge: ChallengeEntity, code: string, now: number): Promise<CodeCheck> {
    const state = await new UserStateRepository(this.database.manager).find(tenant.tenantId, challenge.userId);
    if (state) this.lockout.assertNotLocked(state, now);
    if (challenge.status !== 'PENDING' || isExpired(challenge.expiresAt, now)) throw failedPrecondition('challenge is no longer pending');
    const factor = await new FactorRepository(this.database.manager).findInTenant(tenant.tenantId, challenge.factorId);
    if (!factor?.destinationEnc) return 'wrong';
    const username = this.keyring.decryptText(factor.destinationEnc, factorDestinationAad(factor.id));
    return (await this.duo.passcode(challenge.id, factor.id, username, code)).result === 'allow' ? 'ok' : 'wrong';
  }

  /** ok when the challenge was approved where it was answered; uses no attempt. */
  private async outcomeOf(tenant: TenantContext, challengeId: string): Promise<VerifyResult> {
    const challenge = await this.getChallenge.execute(tenant, challengeId);
    return { ok: challenge.status === 'APPROVED', challenge, attemptsRemaining: challenge.attemptsRemaining };
  }
}
