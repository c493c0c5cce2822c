import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { RedisConnection } from '@mfa/queue';
import { assertUnreachable } from '@mfa/domain';
import { parseChallengeEvent, QueueName, runWorker, type ChallengeEventJob, type RunningWorker } from '@mfa/queue';
import type { GatewayConfig } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';
import { BULL_CONNECTION } from '../services/redis.provider';
import { ApplyDeliveryOutcomeUseCase } from './apply-delivery-outcome.usecase';
import { ApplyDuoResultUseCase } from './apply-duo-result.usecase';
import { ApplyPushTokenInvalidUseCase } from './apply-push-token-invalid.usecase';

/** The gateway's consumer of the `events` queue: workers report, the gateway writes. */
@Injectable()
export class ChallengeEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running: RunningWorker | undefined;

  constructor(
    private readonly applyDeliveryOutcome: ApplyDeliveryOutcomeUseCase,
    private readonly applyPushTokenInvalid: ApplyPushTokenInvalidUseCase,
    private readonly applyDuoResult: ApplyDuoResultUseCase,
    @Inject(BULL_CONNECTION) private readonly connection: RedisConnection,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = runWorker({
      queue: QueueName.Events,
      prefix: this.config.queuePrefix,
      connection: this.connection,
      concurrency: 16,
      parse: parseChallengeEvent,
      handle: (event) => this.apply(event),
    });
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
