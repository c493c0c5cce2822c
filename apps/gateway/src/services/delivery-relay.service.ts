import { Inject, Injectable } from '@nestjs/common';
import { ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import type { Logger } from '@mfa/observability';
import { Clock } from './clock';
import { LOGGER } from './logger.provider';
import { OutOfBandDispatcher } from './out-of-band-dispatcher';
import { PeriodicTask } from './periodic-task';

export const RELAY_INTERVAL_MS = 15_000;
/** How long after its start a challenge may still be on its way to the queue before it counts as lost there. */
export const DISPATCH_GRACE_MS = 30_000;
const BATCH = 100;

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
    let queued = 0;
    try {
      const waiting = await new ChallengeRepository(this.database.manager).findAwaitingDelivery(now - DISPATCH_GRACE_MS, now, BATCH);
      for (const challenge of waiting) {
        if (await this.dispatcher.isQueued(challenge)) continue;
        const factor = await new FactorRepository(this.database.manager).findInTenant(challenge.tenantId, challenge.factorId);
        if (!factor || !(await this.dispatcher.dispatch(challenge, factor))) continue;
        queued++;
        this.logger.warn({ challengeId: challenge.id, type: challenge.type }, 'delivery job was missing from its queue; queued it again');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'delivery relay failed; the next run retries');
    }
    return queued;
  }
}
