import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newId } from '@mfa/crypto';
import { randomInt } from 'node:crypto';
import { AuditEventType, isOutOfBand } from '@mfa/domain';
import { AuditRepository, ChallengeEntity, ChallengeRepository, Database, type ChallengeContextRecord, type FactorEntity } from '@mfa/persistence';
import { GatewayMetrics, type Logger } from '@mfa/observability';
import { ChallengeLifecycle } from './challenge-lifecycle.service';
import { ChallengeNotifier } from './challenge-notifier';
import { Clock } from './clock';
import { DeliveryQueueUnavailableError, OutOfBandDispatcher } from './out-of-band-dispatcher';
import { LOGGER } from './logger.provider';
import type { TenantContext } from './tenant-context';

/** How long StartChallenge asks Redis whether a job whose add failed landed after all. */
const LANDED_CHECK_MS = 500;

export interface NewChallenge {
  purpose: ChallengeEntity['purpose'];
  locale: string;
  idempotencyKey: string;
  context: ChallengeContextRecord | null;
}

/** Creates challenges (login or enrollment check) and sends out-of-band ones on their way. */
@Injectable()
export class ChallengeFactory {
  constructor(
    private readonly database: Database,
    private readonly dispatcher: OutOfBandDispatcher,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly metrics: GatewayMetrics,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(manager: EntityManager, tenant: TenantContext, factor: FactorEntity, spec: NewChallenge, now: number): Promise<ChallengeEntity> {
    const outOfBand = isOutOfBand(factor.type);
    const pushed = (factor.type === 'PUSH' && factor.pushTokenEnc !== null) || factor.type === 'DUO';
    const challenge = Object.assign(new ChallengeEntity(), {
      id: newId('chl'),
      tenantId: tenant.tenantId,
      userId: factor.userId,
      factorId: factor.id,
      type: factor.type,
      purpose: spec.purpose,
      status: 'PENDING' as const,
      delivery: outOfBand || pushed ? ('QUEUED' as const) : ('NOT_REQUIRED' as const),
      reason: '',
      attemptsRemaining: tenant.policy.maxVerifyAttempts,
      idempotencyKey: spec.idempotencyKey || null,
      context: spec.context ? JSON.stringify(spec.context) : null,
      locale: spec.locale || factor.locale,
      codeLength: outOfBand ? tenant.policy.otpLength : null,
      // Number matching: two digits the login screen shows and the user enters on the device.
      bindingCode: factor.type === 'PUSH' && tenant.policy.numberMatching ? String(randomInt(10, 100)) : null,
      createdAt: now,
      expiresAt: now + tenant.policy.otpTtlSeconds * 1000,
      resolvedAt: null,
      redeemedAt: null,
    });
    await new ChallengeRepository(manager).insert(challenge);
    await new AuditRepository(manager).append(
      {
        tenantId: tenant.tenantId,
        userId: factor.userId,
        type: AuditEventType.ChallengeStarted,
        factorId: factor.id,
        challengeId: challenge.id,
        details: { type: factor.type, purpose: spec.purpose, ...(spec.context?.application ? { application: spec.context.application } : {}), ...(spec.context?.ip ? { ip: spec.context.ip } : {}) },
      },
      now,
    );
    this.metrics.challenges.inc({ type: factor.type, status: 'pending' });
    return challenge;
  }

  /**
   * A challenge already committed and dispatched once (an idempotent retry of StartChallenge):
   * queued again under the same job id, which the queue takes only if the first one never got
   * there. A failure here says nothing about the first dispatch, so the challenge is left as it
   * is and the caller gets UNAVAILABLE.
   */
  async dispatchAgain(challenge: ChallengeEntity, factor: FactorEntity): Promise<void> {
    if (challenge.delivery === 'QUEUED') await this.dispatcher.dispatch(challenge, factor);
  }

  /**
   * After the challenge is committed: queue its code. The committed challenge is the outbox of
   * its job, so a queue that fails to answer (unreachable, or slower than the command timeout)
   * does not fail it: the add may have landed and the code gone out. If the job is found in the
   * queue after all, the call succeeds; otherwise the challenge stays PENDING/QUEUED and the
   * caller gets UNAVAILABLE: the delivery relay queues the job once Redis answers (the job id
   * makes that a no-op if the add did land), and a retry with the same idempotency key returns
   * this challenge without a second code. Any other error (nothing to send the code to) fails
   * the challenge at once, and the caller gets the error.
   */
  async dispatch(challenge: ChallengeEntity, factor: FactorEntity): Promise<void> {
    if (challenge.delivery !== 'QUEUED') return;
    try {
      await this.dispatcher.dispatch(challenge, factor);
    } catch (error) {
      if (error instanceof DeliveryQueueUnavailableError) {
        if (await this.landedAfterAll(challenge)) return;
        this.logger.warn({ err: error.queueError, challengeId: challenge.id }, 'delivery job could not be queued; the challenge stays queued for the delivery relay');
        throw error;
      }
      await this.database.withUserLock(challenge.tenantId, challenge.userId, async (manager) => {
        const current = await new ChallengeRepository(manager).findById(challenge.id);
        if (current) await this.lifecycle.failDelivery(manager, current, 'the code could not be queued for delivery', this.clock.now());
      });
      await this.notifier.publish(challenge.id);
      throw error;
    }
  }

  /**
   * Whether a delivery job whose add failed is in its queue all the same; false when Redis cannot
   * say at once. The add has used most of the caller's deadline already (the command timeout):
   * the caller must get UNAVAILABLE, not run out its deadline waiting for this answer too.
   */
  private async landedAfterAll(challenge: ChallengeEntity): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), LANDED_CHECK_MS)));
    try {
      return await Promise.race([this.dispatcher.isQueued(challenge).catch(() => false), giveUp]);
    } finally {
      clearTimeout(timer);
    }
  }
}
