import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@mfa/observability';
import { transitionDelivery } from '@mfa/domain';
import { ChallengeRepository, Database, type ChallengeEntity } from '@mfa/persistence';
import { LOGGER } from './logger.provider';
import { OutOfBandDispatcher } from './out-of-band-dispatcher';

/**
 * After challenges end before their delivery mattered (CancelChallenge, DeleteFactor, an enrollment
 * that replaces another, a Duo passcode answered in place of the push): their delivery jobs are taken
 * back, and a delivery nothing is left to send becomes NOT_REQUIRED rather than QUEUED for good.
 * A job a worker holds already is told by the challenge's ended mark: a Duo one that has not
 * pushed yet sends nothing and reports withdrawn (NOT_REQUIRED); an otp one issues no code, and a
 * telephony or email one sends none (a push, which is never marked, finishes and reports). What a
 * withdrawal could not settle at once (Redis failed it, or a worker held the otp job just then)
 * the delivery relay settles later.
 */
@Injectable()
export class DeliveryWithdrawal {
  constructor(
    private readonly database: Database,
    private readonly dispatcher: OutOfBandDispatcher,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Updates the given entities' `delivery` where it changed. Never throws: it runs after the
   * challenge's end is committed, and that answer (an approval among them) must still reach the
   * caller; a delivery left QUEUED is only a stale status.
   */
  async withdraw(challenges: ChallengeEntity[]): Promise<void> {
    const withdrawn = await this.dispatcher.withdraw(challenges);
    for (const challenge of withdrawn) {
      try {
        await this.markNotRequired(challenge);
      } catch (error) {
        this.logger.warn({ challengeId: challenge.id, err: error }, 'could not mark a withdrawn delivery as not required');
      }
    }
  }

  /**
   * For a challenge that ended a while ago with its delivery still QUEUED: NOT_REQUIRED when
   * nothing is left that could deliver it or report on it. True when it changed. Throws on a
   * Redis or database error (the delivery relay logs it and asks again next round).
   */
  async settleIfUnreported(challenge: ChallengeEntity): Promise<boolean> {
    if (challenge.status === 'PENDING' || challenge.delivery !== 'QUEUED') return false;
    if (await this.dispatcher.deliveryOutstanding(challenge)) return false;
    return this.markNotRequired(challenge);
  }

  private async markNotRequired(challenge: ChallengeEntity): Promise<boolean> {
    const changed = await new ChallengeRepository(this.database.manager).advanceDelivery(challenge.id, 'QUEUED', transitionDelivery('QUEUED', 'NOT_REQUIRED'));
    if (changed) challenge.delivery = 'NOT_REQUIRED';
    return changed;
  }
}
