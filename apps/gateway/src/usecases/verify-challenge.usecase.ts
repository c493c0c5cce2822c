import { Injectable } from '@nestjs/common';
import { assertCodeShape, failedPrecondition, notFound } from '@mfa/domain';
import { ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import { AttemptRecorder } from '../services/attempt-recorder.service';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { CodeChecker } from '../services/code-checker.service';
import { LockoutService } from '../services/lockout.service';
import type { TenantContext } from '../services/tenant-context';
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
    private readonly codes: CodeChecker,
    private readonly attempts: AttemptRecorder,
    private readonly lockout: LockoutService,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, command: VerifyChallengeCommand): Promise<VerifyResult> {
    const found = await new ChallengeRepository(this.database.manager).findInTenant(tenant.tenantId, command.challengeId);
    if (!found) throw notFound('challenge');
    // A code of the wrong shape is malformed input: refused before it can use an attempt.
    assertCodeShape(command.code, this.codes.expectedDigits(found));
    const now = this.clock.now();

    const outcome = await this.database.withUserLock(tenant.tenantId, found.userId, async (manager, state) => {
      this.lockout.assertNotLocked(state, now);
      // Re-read under the lock: another request may have settled it meanwhile.
      const challenge = await new ChallengeRepository(manager).findInTenant(tenant.tenantId, command.challengeId);
      if (!challenge) throw notFound('challenge');
      if (await this.lifecycle.expireIfDue(manager, challenge, now)) return { expired: true as const };
      if (challenge.status !== 'PENDING') throw failedPrecondition(`challenge is no longer pending (${challenge.status.toLowerCase()})`);
      if (challenge.purpose !== 'challenge') throw failedPrecondition('this is an enrollment check: answer it with ConfirmEnrollment');

      const factors = new FactorRepository(manager);
      const factor = await factors.findInTenant(tenant.tenantId, challenge.factorId);
      const result = await this.codes.check(manager, challenge, factor, command.code, now);
      if (result === 'ok') {
        await this.attempts.right(manager, challenge, state, now);
        if (factor && factor.type !== 'TOTP') {
          factor.lastUsedAt = now;
          await factors.save(factor);
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
}
