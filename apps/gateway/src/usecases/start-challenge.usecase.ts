import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Keyring } from '@mfa/crypto';
import { failedPrecondition, isFactorTypeAllowed, isOutOfBand, notFound, usesPhoneNumber } from '@mfa/domain';
import { ChallengeRepository, Database, factorDestinationAad, FactorRepository, type ChallengeContextRecord, type ChallengeEntity, type FactorEntity } from '@mfa/persistence';
import { ChallengeFactory } from '../services/challenge-factory.service';
import { Clock } from '../services/clock';
import { assertCountryAllowed, phoneDestination } from '../services/destination';
import { LockoutService } from '../services/lockout.service';
import { PromptRateLimiter, SendRateLimiter } from '../services/send-rate-limiter';
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


const awaitingDelivery = (challenge: ChallengeEntity): boolean => challenge.status === 'PENDING' && challenge.delivery === 'QUEUED';

@Injectable()
export class StartChallengeUseCase {
  constructor(
    private readonly database: Database,
    private readonly keyring: Keyring,
    private readonly lockout: LockoutService,
    private readonly challenges: ChallengeFactory,
    private readonly rateLimiter: SendRateLimiter,
    private readonly prompts: PromptRateLimiter,
    private readonly clock: Clock,
  ) {}

  async execute(tenant: TenantContext, command: StartChallengeCommand): Promise<ChallengeView> {
    const now = this.clock.now();
    const started = await this.database.withUserLock(tenant.tenantId, command.userId, async (manager, state) => {
      this.lockout.assertNotLocked(state, now);
      if (command.idempotencyKey) {
        const existing = await new ChallengeRepository(manager).findLiveByIdempotencyKey(tenant.tenantId, command.userId, command.idempotencyKey, now);
        // The same login asked twice: the same challenge, and nothing sent again. One still
        // waiting for its delivery is handed to the queue again under its own job id, which the
        // queue takes once: if the first call's gateway died between committing it and queueing
        // its job, the retry is what sends the code.
        if (existing) return { challenge: existing, factor: null, queueAgain: awaitingDelivery(existing) ? await new FactorRepository(manager).findInTenant(tenant.tenantId, existing.factorId) : null };
      }
      const factor = await this.resolveFactor(manager, tenant, command);
      if (factor.status !== 'ACTIVE') throw failedPrecondition(`factor is ${factor.status.toLowerCase()}, not active`);
      if (!isFactorTypeAllowed(tenant.policy, factor.type)) throw failedPrecondition(`factor type ${factor.type} is not allowed by the tenant policy`);
      if (isOutOfBand(factor.type)) await this.admitSend(tenant, factor);
      if (factor.type === 'PUSH' || factor.type === 'DUO') await this.prompts.consume(tenant.tenantId, factor.id);
      const challenge = await this.challenges.create(manager, tenant, factor, { purpose: 'challenge', locale: command.locale, idempotencyKey: command.idempotencyKey, context: command.context }, now);
      return { challenge, factor, queueAgain: null };
    });
    if (started.factor) await this.challenges.dispatch(started.challenge, started.factor);
    if (started.queueAgain) await this.challenges.dispatchAgain(started.challenge, started.queueAgain);
    return challengeView(started.challenge);
  }

  /** Country allowlist, then the abuse limits: a refused send sends nothing. */
  private async admitSend(tenant: TenantContext, factor: FactorEntity): Promise<void> {
    if (usesPhoneNumber(factor.type) && factor.destinationEnc) {
      const destination = phoneDestination(this.keyring.decryptText(factor.destinationEnc, factorDestinationAad(factor.id)));
      assertCountryAllowed(tenant.policy, factor.type as 'SMS' | 'VOICE', destination);
    }
    await this.rateLimiter.consume(tenant.tenantId, factor.userId, factor.destinationIndex ?? factor.id);
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
