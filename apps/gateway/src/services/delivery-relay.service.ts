import { Inject, Injectable } from '@nestjs/common';
import { ChallengeRepository, Database, FactorRepository, type ChallengeEntity } from '@mfa/persistence';
import type { Logger } from '@mfa/observability';
import { Clock } from './clock';
import { LOGGER } from './logger.provider';
import { OutOfBandDispatcher } from './out-of-band-dispatcher';
import { PeriodicTask } from './periodic-task';

export const RELAY_INTERVAL_MS = 15_000;
/** How long after its start a challenge may still be on its way to the queue before it counts as lost there. */
export const DISPATCH_GRACE_MS = 30_000;
const PAGE = 100;
/** A round stops paging after this long; the next one starts again from the challenges closest to expiry. */
const ROUND_BUDGET_MS = 5_000;

/**
 * The challenge row is the outbox of its delivery job: StartChallenge commits it, then queues the
 * job. A gateway that dies between the two leaves a pending challenge whose job never reached
 * the queue; this finds such challenges (still QUEUED well after they started, no job under
 * their id) and queues them, so the code still goes out within its lifetime. Every replica runs
 * it; the job id makes a second add a no-op, and the workers do not send twice for one challenge.
 */
@Injectable()
export class DeliveryRelay extends PeriodicTask {
  constructor(
    private readonly database: Database,
    private readonly dispatcher: OutOfBandDispatcher,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(RELAY_INTERVAL_MS);
  }

  protected tick(): Promise<number> {
    return this.run();
  }

  /** Queues the jobs found missing in one batch; returns how many it queued. */
  run(now = this.clock.now()): Promise<number> {
    return this.exclusively(() => this.queueMissing(now));
  }

  private async queueMissing(now: number): Promise<number> {
    const challenges = new ChallengeRepository(this.database.manager);
    const deadline = Date.now() + ROUND_BUDGET_MS;
    let queued = 0;
    let after: ChallengeEntity | undefined;
    try {
      // Page by (expiry, id): healthy challenges that stay QUEUED for a while (Duo, a provider being retried) cannot hide the lost ones.
      while (Date.now() < deadline) {
        const page = await challenges.findAwaitingDelivery(now - DISPATCH_GRACE_MS, now, PAGE, after);
        for (const challenge of page) if (await this.queueIfMissing(challenge)) queued++;
        if (page.length < PAGE) break;
        after = page[page.length - 1];
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'delivery relay failed; the next run retries');
    }
    return queued;
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
}
