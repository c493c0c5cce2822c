import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { RedisConnection } from '@mfa/queue';
import { Database } from '@mfa/persistence';
import { REDIS } from '../services/redis.provider';

const PROBE_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

@Controller()
export class HealthController {
  constructor(
    private readonly database: Database,
    @Inject(REDIS) private readonly redis: RedisConnection,
  ) {}

  /** Liveness: the process is up. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database and Redis both answer. */
  @Get('readyz')
  async readyz(@Res() response: Response): Promise<void> {
    const [database, redis] = await Promise.all([
      withTimeout(this.database.ping(), PROBE_TIMEOUT_MS).then(() => 'ok', () => 'unavailable'),
      withTimeout(this.redis.ping(), PROBE_TIMEOUT_MS).then(() => 'ok', () => 'unavailable'),
    ]);
    const ready = database === 'ok' && redis === 'ok';
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { database, redis } });
  }
}
