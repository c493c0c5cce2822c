import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditEventType, registerWrongCode, type Policy } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, type ChallengeEntity, type UserStateEntity } from '@mfa/persistence';
import { GatewayMetrics } from '@mfa/observability';
import { ChallengeLifecycle } from './challenge-lifecycle.service';
import type { CodeCheck } from './code-checker.service';
import { LockoutService } from './lockout.service';

/**
 * What a right or wrong code does, the same for every factor type: wrong codes use an attempt
 * of the challenge (failing it at zero) and count toward the user's lockout; a right one
 * approves the challenge and resets the lockout counter.
 */
@Injectable()
export class AttemptRecorder {
  constructor(
    private readonly lifecycle: ChallengeLifecycle,
    private readonly lockout: LockoutService,
    private readonly metrics: GatewayMetrics,
  ) {}

  async right(manager: EntityManager, challenge: ChallengeEntity, state: UserStateEntity, now: number): Promise<void> {
    this.metrics.verifyAttempts.inc({ type: challenge.type, result: 'ok' });
    await this.lockout.recordSuccess(manager, state, now);
    await this.lifecycle.settle(manager, challenge, { type: 'approve' }, now);
  }

  /** Returns true when this wrong code used the challenge's last attempt. */
  async wrong(manager: EntityManager, challenge: ChallengeEntity, state: UserStateEntity, policy: Policy, result: Exclude<CodeCheck, 'ok'>, now: number): Promise<boolean> {
    this.metrics.verifyAttempts.inc({ type: challenge.type, result });
    const attempt = registerWrongCode(challenge.attemptsRemaining);
    challenge.attemptsRemaining = attempt.attemptsRemaining;
    await new AuditRepository(manager).append(
      {
        tenantId: challenge.tenantId,
        userId: challenge.userId,
        type: result === 'replay' ? AuditEventType.ReplayRejected : AuditEventType.VerifyFailed,
        factorId: challenge.factorId,
        challengeId: challenge.id,
        details: { attempts_remaining: String(attempt.attemptsRemaining), purpose: challenge.purpose },
      },
      now,
    );
    if (attempt.exhausted) {
      await this.lifecycle.settle(manager, challenge, { type: 'fail', reason: 'too many wrong codes' }, now);
    } else {
      await new ChallengeRepository(manager).save(challenge);
    }
    await this.lockout.recordFailure(manager, state, policy, now);
    return attempt.exhausted;
  }
}
