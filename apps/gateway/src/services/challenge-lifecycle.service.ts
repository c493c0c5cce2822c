import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditEventType, isExpired, transitionChallenge, type ChallengeEvent, type ChallengeStatus } from '@mfa/domain';
import { AuditRepository, ChallengeRepository, type ChallengeEntity } from '@mfa/persistence';
import { GatewayMetrics } from '@mfa/observability';

const AUDIT_TYPE: Record<Exclude<ChallengeStatus, 'PENDING'>, string> = {
  APPROVED: AuditEventType.ChallengeApproved,
  DENIED: AuditEventType.ChallengeDenied,
  EXPIRED: AuditEventType.ChallengeExpired,
  FAILED: AuditEventType.ChallengeFailed,
  CANCELED: AuditEventType.ChallengeCanceled,
};

/** Moves challenges through the state machine of `@mfa/domain`, with audit and metrics. */
@Injectable()
export class ChallengeLifecycle {
  constructor(private readonly metrics: GatewayMetrics) {}

  async settle(manager: EntityManager, challenge: ChallengeEntity, event: ChallengeEvent, now: number): Promise<void> {
    const { status, reason } = transitionChallenge(challenge.status, event);
    challenge.status = status;
    challenge.reason = reason;
    challenge.resolvedAt = now;
    await new ChallengeRepository(manager).save(challenge);
    this.metrics.challenges.inc({ type: challenge.type, status: status.toLowerCase() });
    if (status !== 'PENDING') {
      await new AuditRepository(manager).append(
        {
          tenantId: challenge.tenantId,
          userId: challenge.userId,
          type: AUDIT_TYPE[status],
          factorId: challenge.factorId,
          challengeId: challenge.id,
          details: reason ? { reason } : {},
        },
        now,
      );
    }
  }

  /**
   * The provider could not deliver the code (or it could not be queued): delivery FAILED, and a
   * challenge still pending FAILED with the same reason, since it can no longer be answered.
   */
  async failDelivery(manager: EntityManager, challenge: ChallengeEntity, reason: string, now: number): Promise<void> {
    challenge.delivery = 'FAILED';
    if (challenge.status === 'PENDING') {
      await this.settle(manager, challenge, { type: 'fail', reason }, now);
    } else {
      await new ChallengeRepository(manager).save(challenge);
    }
  }

  /** A pending challenge past its lifetime becomes EXPIRED when anyone looks at it. */
  async expireIfDue(manager: EntityManager, challenge: ChallengeEntity, now: number): Promise<boolean> {
    if (challenge.status !== 'PENDING' || !isExpired(challenge.expiresAt, now)) return false;
    await this.settle(manager, challenge, { type: 'expire' }, now);
    return true;
  }
}
