import { Inject, Injectable } from '@nestjs/common';
import { ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import type { Logger } from '@mfa/observability';
import { ChallengeLifecycle } from './challenge-lifecycle.service';
import { ChallengeNotifier } from './challenge-notifier';
import { Clock } from './clock';
import { LOGGER } from './logger.provider';
import { PeriodicTask } from './periodic-task';

export const SWEEP_INTERVAL_MS = 15_000;
const BATCH = 200;
/** Accepted TOTP steps are kept this long: far beyond the ±1-step window, and each factor's last step refuses older ones anyway. */
const USED_TOTP_STEP_RETENTION_MS = 10 * 60_000;

/**
 * Challenges expire on read already; this also writes EXPIRED for those nobody looks at, so
 * the database, the audit trail and the metrics agree with what the API says. Every replica
 * sweeps; expiring is idempotent under the user lock. The same round forgets accepted TOTP steps
 * that have left the window (verifying does not spend a statement on it).
 */
@Injectable()
export class ExpirySweeper extends PeriodicTask {
  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(SWEEP_INTERVAL_MS);
  }

  protected tick(): Promise<number> {
    return this.sweep();
  }

  /** Expires one batch of overdue challenges; returns how many it expired. */
  sweep(): Promise<number> {
    return this.exclusively(() => this.expireOverdue());
  }

  private async expireOverdue(): Promise<number> {
    let expired = 0;
    try {
      const now = this.clock.now();
      for (const overdue of await new ChallengeRepository(this.database.manager).findOverdue(now, BATCH)) {
        const changed = await this.database.withUserLock(overdue.tenantId, overdue.userId, async (manager) => {
          const current = await new ChallengeRepository(manager).findById(overdue.id);
          return current ? this.lifecycle.expireIfDue(manager, current, now) : false;
        });
        if (changed) {
          expired++;
          await this.notifier.publish(overdue.id);
        }
      }
      await new FactorRepository(this.database.manager).pruneUsedTotpSteps(now - USED_TOTP_STEP_RETENTION_MS);
    } catch (error) {
      this.logger.warn({ err: error }, 'expiry sweep failed; the next one retries');
    }
    return expired;
  }
}
