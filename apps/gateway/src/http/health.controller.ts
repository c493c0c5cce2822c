import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ReadinessProbe } from '../services/readiness-probe';

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessProbe) {}

  /** Liveness: the process is up. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database and Redis both answer. */
  @Get('readyz')
  async readyz(@Res() response: Response): Promise<void> {
    const { ready, checks } = await this.readiness.check();
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  }
}
