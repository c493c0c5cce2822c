import { Injectable } from '@nestjs/common';
import { constantTimeEqual } from '@mfa/crypto';
import { AuditEventType, DomainError, DomainErrorCode, failedPrecondition, notFound } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, Database, FactorRepository, TenantRepository, type FactorEntity } from '@mfa/persistence';
import { AttemptRecorder } from '../services/attempt-recorder.service';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { LockoutService } from '../services/lockout.service';
import { decodePolicy } from '../services/policy-codec';
import { PromptRateLimiter } from '../services/send-rate-limiter';

export interface DeviceResponse {
  challengeId: string;
  decision: 'approve' | 'deny';
  bindingCode: string | undefined;
  fraud: boolean;
}

type Outcome = { kind: 'settled'; status: string } | { kind: 'expired' } | { kind: 'binding_mismatch' };

/**
 * The user's answer on the device. Approve needs the number the login screen shows (number
 * matching): a wrong number uses an attempt and counts toward lockout. Deny ends the challenge;
 * deny with `fraud` ("this wasn't me") also locks the user at once.
 */
@Injectable()
export class RespondToChallengeUseCase {
  constructor(
    private readonly database: Database,
    private readonly attempts: AttemptRecorder,
    private readonly lockout: LockoutService,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly prompts: PromptRateLimiter,
    private readonly clock: Clock,
  ) {}

  async execute(device: FactorEntity, response: DeviceResponse): Promise<{ status: string }> {
    const found = await new ChallengeRepository(this.database.manager).findById(response.challengeId);
    if (!found || found.factorId !== device.id) throw notFound('challenge');
    const tenant = await new TenantRepository(this.database.manager).findById(device.tenantId);
    const policy = decodePolicy(tenant?.policy ?? null);
    const now = this.clock.now();

    const outcome = await this.database.withUserLock(device.tenantId, device.userId, async (manager, state): Promise<Outcome> => {
      const challenge = await new ChallengeRepository(manager).findById(response.challengeId);
      if (!challenge) throw notFound('challenge');
      if (await this.lifecycle.expireIfDue(manager, challenge, now)) return { kind: 'expired' };
      if (challenge.status !== 'PENDING') throw failedPrecondition(`challenge is no longer pending (${challenge.status.toLowerCase()})`);
      const audit = new AuditRepository(manager);

      if (response.decision === 'deny') {
        await this.lifecycle.settle(manager, challenge, { type: 'deny', reason: response.fraud ? 'reported as fraud on the device' : 'denied on the device' }, now);
        if (response.fraud) {
          await audit.append({ tenantId: device.tenantId, userId: device.userId, type: AuditEventType.FraudReported, factorId: device.id, challengeId: challenge.id, details: { device_id: device.deviceId ?? '' } }, now);
          await this.lockout.lockForFraud(manager, state, policy, now);
          // A login approved a moment before (perhaps by mistake) is not completed after the lock either.
          await new ChallengeRepository(manager).voidUnreportedApprovals(challenge.tenantId, challenge.userId, now);
        }
        return { kind: 'settled', status: challenge.status };
      }

      this.lockout.assertNotLocked(state, now);
      if (challenge.bindingCode !== null && !constantTimeEqual(response.bindingCode ?? '', challenge.bindingCode)) {
        await this.attempts.wrong(manager, challenge, state, policy, 'wrong', now);
        return { kind: 'binding_mismatch' };
      }
      await this.attempts.right(manager, challenge, state, now);
      const factors = new FactorRepository(manager);
      const factor = await factors.findById(device.id);
      if (factor) {
        factor.lastUsedAt = now;
        await factors.save(factor);
      }
      return { kind: 'settled', status: challenge.status };
    });
    await this.notifier.publish(response.challengeId);
    if (outcome.kind === 'settled' && outcome.status === 'APPROVED') await this.prompts.startOver(device.tenantId, device.id);
    if (outcome.kind === 'expired') throw failedPrecondition('challenge is no longer pending (expired)');
    if (outcome.kind === 'binding_mismatch') {
      throw new DomainError(DomainErrorCode.PermissionDenied, 'the number does not match the one on the login screen', { reason: 'binding_mismatch' });
    }
    return { status: outcome.status };
  }
}
