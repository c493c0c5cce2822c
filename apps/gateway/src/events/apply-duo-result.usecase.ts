import { Injectable } from '@nestjs/common';
import { transitionDelivery, type ChallengeEvent } from '@mfa/domain';
import { ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import type { DuoResultEvent } from '@mfa/queue';
import { ChallengeLifecycle } from '../services/challenge-lifecycle.service';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import { LockoutService } from '../services/lockout.service';
import { PromptRateLimiter } from '../services/send-rate-limiter';

const EVENT_OF: Record<Exclude<DuoResultEvent['result'], 'withdrawn'>, (reason: string) => ChallengeEvent> = {
  allow: () => ({ type: 'approve' }),
  deny: (reason) => ({ type: 'deny', reason }),
  timeout: () => ({ type: 'expire' }),
  error: (reason) => ({ type: 'fail', reason }),
};

const LOCKED_REASON = 'approved while the user was locked';

/** The end of a Duo Push or phone auth, as the duo worker saw it in `auth_status`. */
@Injectable()
export class ApplyDuoResultUseCase {
  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly lockout: LockoutService,
    private readonly notifier: ChallengeNotifier,
    private readonly prompts: PromptRateLimiter,
    private readonly clock: Clock,
  ) {}

  async execute(event: DuoResultEvent): Promise<void> {
    const found = await new ChallengeRepository(this.database.manager).findById(event.challengeId);
    if (!found) return;
    const now = this.clock.now();
    const settled = await this.database.withUserLock(found.tenantId, found.userId, async (manager, state): Promise<'nothing' | 'changed' | 'approved'> => {
      const challenges = new ChallengeRepository(manager);
      const challenge = await challenges.findById(event.challengeId);
      if (!challenge) return 'nothing';
      if (event.result === 'withdrawn') {
        // No push went out for a challenge that ended another way; one still pending is left as it is.
        if (challenge.status === 'PENDING' || challenge.delivery !== 'QUEUED') return 'nothing';
        challenge.delivery = transitionDelivery('QUEUED', 'NOT_REQUIRED');
        await challenges.save(challenge);
        return 'changed';
      }
      const delivery = challenge.delivery === 'QUEUED' ? transitionDelivery('QUEUED', event.result === 'error' ? 'FAILED' : 'SENT') : challenge.delivery;
      if (challenge.status !== 'PENDING') {
        // Settled already (a passcode, a cancel, expiry): the outcome stands, but Duo's request
        // has ended too, so the delivery does not stay QUEUED on a final challenge.
        if (delivery === challenge.delivery) return 'nothing';
        challenge.delivery = delivery;
        await challenges.save(challenge);
        return 'changed';
      }
      challenge.delivery = delivery;
      // Approving on the phone does not lift a lock (threshold or "this wasn't me"): the challenge
      // fails instead, as a right code would be refused, and the counter is left as it is.
      const lockedOut = event.result === 'allow' && this.lockout.isLocked(state, now);
      await this.lifecycle.settle(manager, challenge, lockedOut ? { type: 'fail', reason: LOCKED_REASON } : EVENT_OF[event.result](event.reason), now);
      if (event.result === 'allow' && !lockedOut) {
        await this.lockout.recordSuccess(manager, state, now);
        const factors = new FactorRepository(manager);
        const factor = await factors.findById(challenge.factorId);
        if (factor) {
          factor.lastUsedAt = now;
          await factors.save(factor);
        }
        return 'approved';
      }
      return 'changed';
    });
    if (settled !== 'nothing') await this.notifier.publish(event.challengeId);
    if (settled === 'approved') await this.prompts.startOver(found.tenantId, found.factorId);
  }
}
