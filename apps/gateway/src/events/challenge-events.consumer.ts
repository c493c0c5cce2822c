import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { parseChallengeEvent, QueueName, runWorker, type RunningWorker } from '@mfa/queue';
import type { GatewayConfig } from '../config/gateway-config';
import { GATEWAY_CONFIG } from '../config/gateway-config.provider';
import { BULL_CONNECTION } from '../services/redis.provider';
import { ApplyDeliveryOutcomeUseCase } from './apply-delivery-outcome.usecase';

/** The gateway's consumer of the `events` queue: workers report, the gateway writes. */
@Injectable()
export class ChallengeEventsConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running: RunningWorker | undefined;

  constructor(
    private readonly applyDeliveryOutcome: ApplyDeliveryOutcomeUseCase,
    @Inject(BULL_CONNECTION) private readonly connection: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.running = runWorker({
      queue: QueueName.Events,
      prefix: this.config.queuePrefix,
      connection: this.connection,
      concurrency: 16,
      parse: parseChallengeEvent,
      handle: (event) => this.applyDeliveryOutcome.execute(event),
    });
  }

  /** Before connections close: finish the events in hand, take no more. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.running?.close();
  }
}
