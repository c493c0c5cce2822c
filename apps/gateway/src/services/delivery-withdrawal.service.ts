import { Injectable } from '@nestjs/common';
import { transitionDelivery } from '@mfa/domain';
import { ChallengeRepository, Database, type ChallengeEntity } from '@mfa/persistence';
import { OutOfBandDispatcher } from './out-of-band-dispatcher';

/**
 * After challenges end before their delivery mattered (CancelChallenge, DeleteFactor, an enrollment
 * that replaces another, a Duo passcode answered in place of the push): their delivery jobs are taken
 * back, and a delivery nothing is left to send becomes NOT_REQUIRED rather than QUEUED for good.
 * A job a worker holds already finishes and reports SENT or FAILED as usual.
 */
@Injectable()
export class DeliveryWithdrawal {
  constructor(
    private readonly database: Database,
    private readonly dispatcher: OutOfBandDispatcher,
  ) {}

  /** Updates the given entities' `delivery` where it changed. */
  async withdraw(challenges: ChallengeEntity[]): Promise<void> {
    const withdrawn = await this.dispatcher.withdraw(challenges);
    const repository = new ChallengeRepository(this.database.manager);
    for (const challenge of withdrawn) {
      if (await repository.advanceDelivery(challenge.id, 'QUEUED', transitionDelivery('QUEUED', 'NOT_REQUIRED'))) challenge.delivery = 'NOT_REQUIRED';
    }
  }
}
