import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ChallengeRepository, Database, FactorRepository } from '@mfa/persistence';
import type { Logger } from '@mfa/observability';
import { ChallengeLifecycle } from './challenge-lifecycle.service';
import { ChallengeNotifier } from './challenge-notifier';
import { Clock } from './clock';
import { LOGGER } from './logger.provider';

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
export class ExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly database: Database,
    private readonly lifecycle: ChallengeLifecycle,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Expires one batch of overdue challenges; returns how many it expired. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
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
    } finally {
      this.running = false;
    }
    return expired;
  }
}
