import { Inject, Injectable } from '@nestjs/common';
import type { RedisConnection } from '@mfa/queue';
import { Database } from '@mfa/persistence';
import { REDIS } from './redis.provider';

const PROBE_TIMEOUT_MS = 2_000;

export type CheckResult = 'ok' | 'unavailable';

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; redis: CheckResult };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}

/** Whether the gateway's dependencies answer: the database and Redis, each within 2 s. */
@Injectable()
export class ReadinessProbe {
  constructor(
    private readonly database: Database,
    @Inject(REDIS) private readonly redis: RedisConnection,
  ) {}

  async check(): Promise<Readiness> {
    const [database, redis] = await Promise.all([
      withTimeout(this.database.ping(), PROBE_TIMEOUT_MS).then((): CheckResult => 'ok', (): CheckResult => 'unavailable'),
      withTimeout(this.redis.ping(), PROBE_TIMEOUT_MS).then((): CheckResult => 'ok', (): CheckResult => 'unavailable'),
    ]);
    return { ready: database === 'ok' && redis === 'ok', checks: { database, redis } };
  }
}
