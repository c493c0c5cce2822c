import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import type { RedisConnection } from '@mfa/queue';
import { assertUnreachable } from '@mfa/domain';
import type { Logger } from '@mfa/observability';
import { parseChallengeEvent, QueueName, runWorker, type ChallengeEventJob, type RunningWorker } from '@mfa/queue';
import type { GatewayConfig } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';
import { isInfrastructureOutage } from '../grpc/grpc-status';
import { LOGGER } from '../services/logger.provider';
import { BULL_CONNECTION } from '../services/redis.provider';
import { ApplyDeliveryOutcomeUseCase } from './apply-delivery-outcome.usecase';
import { ApplyDuoResultUseCase } from './apply-duo-result.usecase';
import { ApplyPushTokenInvalidUseCase } from './apply-push-token-invalid.usecase';

/** Longest wait between two tries of an event postponed by an outage. */
export const OUTAGE_MAX_DELAY_MS = 30_000;
const OUTAGE_BASE_DELAY_MS = 1_000;
/**
 * About an hour of postponements (at 30 s apart): an "outage" that lasts longer is more likely an
 * error of ours classified as one (a lock wait, a statement that always runs too long), which
 * then takes the normal attempts and ends in the final-failure report instead of looping unseen.
 */
export const MAX_OUTAGE_POSTPONEMENTS = 120;

/**
 * How long an event waits after its `postponed`-th outage (1 s, 2 s, 4 s … capped at 30 s), with
 * jitter so the events held back by an outage do not all come back at the same instant.
 */
export function outageDelay(postponed: number, random: () => number = Math.random): number {
  const exponential = Math.min(OUTAGE_MAX_DELAY_MS, OUTAGE_BASE_DELAY_MS * 2 ** Math.min(30, Math.max(0, postponed - 1)));
  return Math.round(exponential * (0.5 + random() / 2));
}

/**
 * The gateway's consumer of the `events` queue: workers report, the gateway writes.
 *
 * An event is the only record of a delivery's outcome, so an outage of the database (or Redis)
 * does not use up its attempts: it goes back to the queue, delayed, without counting an attempt,
 * for as long as the outage lasts. Only other errors (bugs, bad data) spend the normal attempts.
 */
@Injectable()
export class ChallengeEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running: RunningWorker | undefined;

  constructor(
    private readonly applyDeliveryOutcome: ApplyDeliveryOutcomeUseCase,
    private readonly applyPushTokenInvalid: ApplyPushTokenInvalidUseCase,
    private readonly applyDuoResult: ApplyDuoResultUseCase,
    @Inject(BULL_CONNECTION) private readonly connection: RedisConnection,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.running = runWorker({
      queue: QueueName.Events,
      prefix: this.config.queuePrefix,
      connection: this.connection,
      concurrency: 16,
      parse: parseChallengeEvent,
      handle: (event, job) => this.applyOrPostpone(event, job),
      onFinalFailure: async (event, error, job) => this.reportGivenUp(event, error, job),
    });
  }

  /**
   * An event failed for good (its attempts spent, or it stalled out: each run stopped a gateway).
   * Its challenge keeps the state it had, until it expires; the operator needs its id and why.
   */
  private reportGivenUp(event: ChallengeEventJob, error: Error, job: Job): void {
    this.logger.error(
      { err: error, jobId: job.id, eventType: event.type, challengeId: event.challengeId, attemptsMade: job.attemptsMade + 1, stalledCounter: job.stalledCounter },
      'event given up: its challenge keeps its state until it expires',
    );
  }

  private async applyOrPostpone(event: ChallengeEventJob, job: Job): Promise<void> {
    try {
      await this.apply(event);
    } catch (error) {
      // Without the lock's token the job cannot be moved: it takes the normal retry path.
      if (!isInfrastructureOutage(error) || !job.token) throw error;
      // Every run starts an attempt, a postponed one does not make one: their difference counts
      // the postponements so far, this one included.
      const postponed = Math.max(1, job.attemptsStarted - job.attemptsMade);
      if (postponed > MAX_OUTAGE_POSTPONEMENTS) {
        this.logger.error({ err: error, jobId: job.id, eventType: event.type, challengeId: event.challengeId, postponed }, 'event postponed for about an hour of outages: it now uses its attempts');
        throw error;
      }
      const delayMs = outageDelay(postponed);
      try {
        await job.moveToDelayed(Date.now() + delayMs, job.token);
      } catch (moveError) {
        // Redis did not take it back (down too, or the lock was lost): the original error goes the
        // normal way, and a job whose lock lapses is picked up again as stalled.
        this.logger.warn({ err: moveError, jobId: job.id, eventType: event.type }, 'could not postpone an event during an outage');
        throw error;
      }
      if (postponed === 1 || postponed % 20 === 0) {
        this.logger.warn({ err: error, jobId: job.id, eventType: event.type, challengeId: event.challengeId, postponed, delayMs }, 'backing service unavailable: event postponed without using an attempt');
      }
      // Tells BullMQ (and runWorker) the job was moved, not failed: no attempt, no final failure.
      throw new DelayedError();
    }
  }

  private apply(event: ChallengeEventJob): Promise<void> {
    switch (event.type) {
      case 'delivery.sent':
      case 'delivery.failed':
        return this.applyDeliveryOutcome.execute(event);
      case 'push.token_invalid':
        return this.applyPushTokenInvalid.execute(event);
      case 'duo.result':
        return this.applyDuoResult.execute(event);
      default:
        return assertUnreachable(event);
    }
  }

  /** Before connections close: finish the events in hand, take no more. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.running?.close();
  }
}
