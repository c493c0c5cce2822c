import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { GatewayMetrics } from '@mfa/observability';
import { ALL_QUEUES, JobProducer } from '@mfa/queue';

const GAUGED_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly producer: JobProducer,
  ) {}

  /** Queue depths are read at scrape time, so every replica reports the shared queues' truth. */
  private async updateQueueGauges(): Promise<void> {
    await Promise.all(
      ALL_QUEUES.map(async (name) => {
        const counts = await this.producer.queue(name).getJobCounts(...GAUGED_STATES);
        for (const state of GAUGED_STATES) this.metrics.queueJobs.set({ queue: name, state }, counts[state] ?? 0);
      }),
    ).catch(() => undefined); // Redis down: the last values stay, readiness says the rest
  }

  @Get('metrics')
  async metricsText(@Res() response: Response): Promise<void> {
    await this.updateQueueGauges();
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
