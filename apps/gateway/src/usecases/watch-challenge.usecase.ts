import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import { DomainError, DomainErrorCode, isFinalStatus } from '@mfa/domain';
import { ChallengeNotifier } from '../services/challenge-notifier';
import { Clock } from '../services/clock';
import type { TenantContext } from '../services/tenant-context';
import type { ChallengeView } from '../services/views';
import { GetChallengeUseCase } from './get-challenge.usecase';

/** A lost pub/sub message (Redis restarting) delays a watcher by at most this long. */
const SAFETY_POLL_MS = 5_000;

const ENDED_BY_SHUTDOWN = 'shutting_down';

/** True for the error that ends a watch because this gateway is stopping: expected, not a failure. */
export const isEndedByShutdown = (error: unknown): boolean => error instanceof DomainError && error.details.reason === ENDED_BY_SHUTDOWN;

const shuttingDown = (): DomainError => new DomainError(DomainErrorCode.Unavailable, 'gateway is shutting down, watch again', { reason: ENDED_BY_SHUTDOWN });

const fingerprint = (c: ChallengeView): string => `${c.status}|${c.delivery}|${c.attemptsRemaining}|${c.reason}`;

/**
 * WatchChallenge: the current state first, then every change, ending after a final status.
 * Changes arrive through Redis pub/sub from whichever replica made them; the stream re-reads
 * the database on each, and also at the expiry instant so EXPIRED shows without any caller.
 */
@Injectable()
export class WatchChallengeUseCase implements BeforeApplicationShutdown {
  private readonly open = new Set<Subscriber<ChallengeView>>();
  /** Set once shutdown begins: gRPC still takes calls while the rest drains, but no new watch may hold up its close. */
  private draining = false;

  constructor(
    private readonly getChallenge: GetChallengeUseCase,
    private readonly notifier: ChallengeNotifier,
    private readonly clock: Clock,
  ) {}

  execute(tenant: TenantContext, challengeId: string): Observable<ChallengeView> {
    return new Observable<ChallengeView>((subscriber) => {
      if (this.draining) {
        subscriber.error(shuttingDown());
        return undefined;
      }
      let last = '';
      let queue = Promise.resolve();
      let expiryTimer: NodeJS.Timeout | undefined;
      const refresh = (): void => {
        queue = queue.then(async () => {
          if (subscriber.closed) return;
          try {
            const view = await this.getChallenge.execute(tenant, challengeId);
            if (fingerprint(view) !== last) {
              last = fingerprint(view);
              subscriber.next(view);
            }
            if (isFinalStatus(view.status)) {
              subscriber.complete();
            } else if (!expiryTimer) {
              expiryTimer = setTimeout(refresh, Math.max(0, view.expiresAt - this.clock.now()) + 50);
            }
          } catch (error) {
            subscriber.error(error);
          }
        });
      };
      this.open.add(subscriber);
      const stopWatching = this.notifier.watch(challengeId, refresh);
      const poll = setInterval(refresh, SAFETY_POLL_MS);
      refresh();
      return () => {
        this.open.delete(subscriber);
        stopWatching();
        clearInterval(poll);
        if (expiryTimer) clearTimeout(expiryTimer);
      };
    });
  }

  /**
   * On shutdown, open streams end (the gRPC server waits for them otherwise) with UNAVAILABLE,
   * not OK: a stream ends OK only after a final status, and UNAVAILABLE tells the client to
   * watch again, on another replica, where it gets the current state first.
   */
  beforeApplicationShutdown(): void {
    this.draining = true;
    for (const subscriber of this.open) subscriber.error(shuttingDown());
  }
}
