import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { GatewayMetrics } from '@mfa/observability';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: GatewayMetrics) {}

  @Get('metrics')
  async metricsText(@Res() response: Response): Promise<void> {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
