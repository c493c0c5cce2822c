import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { afterFailure, afterSuccess, AuditEventType, isLocked, lockedFor, lockNow, resourceExhausted, type LockoutState, type Policy } from '@mfa/domain';
import { AuditRepository, UserStateRepository, type UserStateEntity } from '@mfa/persistence';
import { GatewayMetrics } from '@mfa/observability';

const toLockoutState = (state: UserStateEntity): LockoutState => ({
  consecutiveFailures: state.consecutiveFailures,
  lockedUntilMs: state.lockedUntil,
});

/**
 * Applies the per-user lockout (one counter for every factor and for recovery codes) to a
 * user-state row the caller holds locked.
 */
@Injectable()
export class LockoutService {
  constructor(private readonly metrics: GatewayMetrics) {}

  isLocked(state: UserStateEntity, now: number): boolean {
    return isLocked(toLockoutState(state), now);
  }

  assertNotLocked(state: UserStateEntity, now: number): void {
    if (this.isLocked(state, now)) {
      throw resourceExhausted('locked', lockedFor(toLockoutState(state), now), 'locked: too many failed attempts, try again later');
    }
  }

  /** Counts a failed verification; returns how many failures remain before the lock. */
  async recordFailure(manager: EntityManager, state: UserStateEntity, policy: Policy, now: number): Promise<number> {
    const { state: next, justLocked } = afterFailure(toLockoutState(state), policy, now);
    await this.save(manager, state, next, now);
    if (justLocked) {
      this.metrics.lockouts.inc();
      await new AuditRepository(manager).append(
        { tenantId: state.tenantId, userId: state.userId, type: AuditEventType.UserLocked, details: { until: new Date(next.lockedUntilMs ?? now).toISOString(), cause: 'threshold' } },
        now,
      );
    }
    return Math.max(0, policy.lockoutThreshold - next.consecutiveFailures);
  }

  /** "This wasn't me": lock the user at once, as reaching the threshold would. */
  async lockForFraud(manager: EntityManager, state: UserStateEntity, policy: Policy, now: number): Promise<void> {
    const next = lockNow(toLockoutState(state), policy, now);
    await this.save(manager, state, next, now);
    this.metrics.lockouts.inc();
    await new AuditRepository(manager).append(
      { tenantId: state.tenantId, userId: state.userId, type: AuditEventType.UserLocked, details: { until: new Date(next.lockedUntilMs ?? now).toISOString(), cause: 'fraud_reported' } },
      now,
    );
  }

  async recordSuccess(manager: EntityManager, state: UserStateEntity, now: number): Promise<void> {
    if (state.consecutiveFailures === 0 && state.lockedUntil === null) return;
    await this.save(manager, state, afterSuccess(), now);
  }

  private async save(manager: EntityManager, state: UserStateEntity, next: LockoutState, now: number): Promise<void> {
    state.consecutiveFailures = next.consecutiveFailures;
    state.lockedUntil = next.lockedUntilMs;
    state.updatedAt = now;
    await new UserStateRepository(manager).save(state);
  }
}
