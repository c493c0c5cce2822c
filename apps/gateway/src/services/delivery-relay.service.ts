import { Inject, Injectable } from '@nestjs/common';
import { ChallengeRepository, Database, FactorRepository, type ChallengeEntity } from '@mfa/persistence';
import type { Logger } from '@mfa/observability';
import { ChallengeNotifier } from './challenge-notifier';
import { Clock } from './clock';
import { DeliveryWithdrawal } from './delivery-withdrawal.service';
import { LOGGER } from './logger.provider';
import { OutOfBandDispatcher } from './out-of-band-dispatcher';
import { PeriodicTask } from './periodic-task';

export const RELAY_INTERVAL_MS = 15_000;
/** How long after its start a challenge may still be on its way to the queue before it counts as lost there. */
export const DISPATCH_GRACE_MS = 30_000;
/** How long after a challenge ended its withdrawal, and a worker that held its job then, may still be at work before the sweep looks. */
export const SETTLE_GRACE_MS = 30_000;
/** The settling sweep runs every this many rounds (once a minute): it is a safety net, and reads every recently ended challenge. */
const SETTLE_EVERY_ROUNDS = 4;
/** Ended challenges are looked at until this long after their expiry (an otp job run again after a stall takes a few minutes at most). */
const SETTLE_LOOKBACK_MS = 10 * 60_000;
const PAGE = 100;
/** A round stops paging after this long; the next one starts again from the challenges closest to expiry. */
const ROUND_BUDGET_MS = 5_000;

/**
 * The challenge row is the outbox of its delivery job: StartChallenge commits it, then queues the
 * job. A gateway that dies between the two leaves a pending challenge whose job never reached
 * the queue; this finds such challenges (still QUEUED well after they started, no job under
 * their id) and queues them, so the code still goes out within its lifetime. Every replica runs
 * it; the job id makes a second add a no-op, and the workers do not send twice for one challenge.
 *
 * It also settles the deliveries that ended challenges left QUEUED with nothing that will ever
 * report on them (a withdrawal that Redis failed, a gateway that died before withdrawing, an otp
 * job that a worker held during the withdrawal and that then issued no code): NOT_REQUIRED, once
 * `SETTLE_GRACE_MS` after the end have passed.
 */
@Injectable()
export class DeliveryRelay extends PeriodicTask {
  constructor(
    private readonly database: Database,
    private readonly dispatcher: OutOfBandDispatcher,
    private readonly withdrawal: DeliveryWithdrawal,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(RELAY_INTERVAL_MS);
  }

  private rounds = 0;

  protected tick(): Promise<number> {
    const now = this.clock.now();
    const settle = this.rounds++ % SETTLE_EVERY_ROUNDS === 0;
    return this.exclusively(async () => (await this.queueMissing(now)) + (settle ? await this.settleLeftQueued(now) : 0));
  }

  /** Queues the jobs found missing in one batch; returns how many it queued. */
  run(now = this.clock.now()): Promise<number> {
    return this.exclusively(() => this.queueMissing(now));
  }

  /** Settles the deliveries ended challenges left QUEUED with nothing in flight; returns how many. */
  settleEnded(now = this.clock.now()): Promise<number> {
    return this.exclusively(() => this.settleLeftQueued(now));
  }

  private queueMissing(now: number): Promise<number> {
    const challenges = new ChallengeRepository(this.database.manager);
    return this.eachPage((after) => challenges.findAwaitingDelivery(now - DISPATCH_GRACE_MS, now, PAGE, after), (c) => this.queueIfMissing(c), 'delivery relay failed; the next run retries');
  }

  private settleLeftQueued(now: number): Promise<number> {
    const challenges = new ChallengeRepository(this.database.manager);
    return this.eachPage(
      (after) => challenges.findEndedAwaitingDelivery(now - SETTLE_GRACE_MS, now - SETTLE_LOOKBACK_MS, PAGE, after),
      (c) => this.settleIfUnreported(c),
      'settling the deliveries of ended challenges failed; the next run retries',
    );
  }

  /**
   * Hands each challenge of the pages `find` gives to `handle`, for at most a round's budget;
   * returns how many it handled. Paged by (expiry, id): challenges that healthily stay QUEUED for a
   * while (Duo, a provider being retried) cannot hide the others.
   */
  private async eachPage(find: (after?: ChallengeEntity) => Promise<ChallengeEntity[]>, handle: (challenge: ChallengeEntity) => Promise<boolean>, failure: string): Promise<number> {
    const deadline = Date.now() + ROUND_BUDGET_MS;
    let handled = 0;
    let after: ChallengeEntity | undefined;
    try {
      while (Date.now() < deadline) {
        const page = await find(after);
        for (const challenge of page) if (await handle(challenge)) handled++;
        if (page.length < PAGE) break;
        after = page[page.length - 1];
      }
    } catch (error) {
      this.logger.warn({ err: error }, failure);
    }
    return handled;
  }

  /** One challenge; a failure here (a key retired, the queue down) is logged and leaves the others to go on. */
  private async queueIfMissing(challenge: ChallengeEntity): Promise<boolean> {
    try {
      if (await this.dispatcher.isQueued(challenge)) return false;
      const factor = await new FactorRepository(this.database.manager).findInTenant(challenge.tenantId, challenge.factorId);
      // A login needs an active factor; an enrollment check is what makes its factor active.
      if (!factor || factor.status !== (challenge.purpose === 'enrollment' ? 'PENDING' : 'ACTIVE')) return false;
      if (!(await this.dispatcher.dispatch(challenge, factor))) return false;
      this.logger.warn({ challengeId: challenge.id, type: challenge.type }, 'delivery job was missing from its queue; queued it again');
      return true;
    } catch (error) {
      this.logger.warn({ err: error, challengeId: challenge.id }, 'could not queue a challenge whose delivery job was missing');
      return false;
    }
  }

  /** One challenge; a failure is logged and leaves the others to go on. */
  private async settleIfUnreported(challenge: ChallengeEntity): Promise<boolean> {
    try {
      if (!(await this.withdrawal.settleIfUnreported(challenge))) return false;
      this.logger.info({ challengeId: challenge.id, type: challenge.type, status: challenge.status }, 'ended challenge had nothing of its delivery left in flight; delivery not required');
      await this.notifier.publish(challenge.id);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, challengeId: challenge.id }, 'could not settle the delivery of an ended challenge');
      return false;
    }
  }
}
