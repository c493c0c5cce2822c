import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newId } from '@mfa/crypto';
import { AuditEventType, DomainError, DomainErrorCode, failedPrecondition, isFactorTypeAllowed, notFound } from '@mfa/domain';
import { AuditRepository, ChallengeEntity, ChallengeRepository, Database, FactorRepository, type ChallengeContextRecord, type FactorEntity } from '@mfa/persistence';
import { GatewayMetrics } from '@mfa/observability';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { Clock } from '../services/clock';
import { LockoutService } from '../services/lockout.service';
import type { TenantContext } from '../services/tenant-context';
import { challengeView, type ChallengeView } from '../services/views';

export interface StartChallengeCommand {
  userId: string;
  /** Empty: the user's default factor. */
  factorId: string;
  context: ChallengeContextRecord;
  idempotencyKey: string;
  locale: string;
}

/**
 * The default factor: the active one used most recently, else the oldest active one. The
 * factor a person last succeeded with is the one they are most likely to have at hand.
 */
export function pickDefaultFactor(factors: FactorEntity[]): FactorEntity | undefined {
  const active = factors.filter((f) => f.status === 'ACTIVE');
  const used = active.filter((f) => f.lastUsedAt !== null).sort((a, b) => (b.lastUsedAt ?? 0) - (a.lastUsedAt ?? 0));
  return used[0] ?? active[0];
}

@Injectable()
export class StartChallengeUseCase {
  constructor(
    private readonly database: Database,
    private readonly lockout: LockoutService,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, command: StartChallengeCommand): Promise<ChallengeView> {
    const now = this.clock.now();
    const challenge = await this.database.withUserLock(tenant.tenantId, command.userId, async (manager, state) => {
      this.lockout.assertNotLocked(state, now);
      const challenges = new ChallengeRepository(manager);
      if (command.idempotencyKey) {
        const existing = await challenges.findLiveByIdempotencyKey(tenant.tenantId, command.userId, command.idempotencyKey, now);
        if (existing) {
          await this.lifecycle.expireIfDue(manager, existing, now);
          return existing;
        }
      }
      const factor = await this.resolveFactor(manager, tenant, command);
      if (factor.status !== 'ACTIVE') throw failedPrecondition(`factor is ${factor.status.toLowerCase()}, not active`);
      if (!isFactorTypeAllowed(tenant.policy, factor.type)) throw failedPrecondition(`factor type ${factor.type} is not allowed by the tenant policy`);
      if (factor.type !== 'TOTP') throw new DomainError(DomainErrorCode.Unimplemented, `challenges for ${factor.type} factors are not available yet`);
      const created = Object.assign(new ChallengeEntity(), {
        id: newId('chl'),
        tenantId: tenant.tenantId,
        userId: command.userId,
        factorId: factor.id,
        type: factor.type,
        purpose: 'challenge' as const,
        status: 'PENDING' as const,
        delivery: 'NOT_REQUIRED' as const,
        reason: '',
        attemptsRemaining: tenant.policy.maxVerifyAttempts,
        idempotencyKey: command.idempotencyKey || null,
        context: JSON.stringify(command.context),
        locale: command.locale || factor.locale,
        createdAt: now,
        expiresAt: now + tenant.policy.otpTtlSeconds * 1000,
        resolvedAt: null,
      });
      await challenges.insert(created);
      await new AuditRepository(manager).append(
        { tenantId: tenant.tenantId, userId: command.userId, type: AuditEventType.ChallengeStarted, factorId: factor.id, challengeId: created.id, details: { type: factor.type, application: command.context.application, ip: command.context.ip } },
        now,
      );
      this.metrics.challenges.inc({ type: factor.type, status: 'pending' });
      return created;
    });
    return challengeView(challenge);
  }

  private async resolveFactor(manager: EntityManager, tenant: TenantContext, command: StartChallengeCommand): Promise<FactorEntity> {
    const factors = new FactorRepository(manager);
    if (command.factorId) {
      const factor = await factors.findForUser(tenant.tenantId, command.userId, command.factorId);
      if (!factor) throw notFound('factor');
      return factor;
    }
    const factor = pickDefaultFactor(await factors.listForUser(tenant.tenantId, command.userId));
    if (!factor) throw failedPrecondition('the user has no active factor');
    return factor;
  }
}
