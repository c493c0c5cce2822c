import type { RedisConnection } from '@mfa/queue';
import { challengeEndedKey, deliveredMarkerKey } from '@mfa/queue';

/** Remembers which challenges the provider already accepted, so a rerun job sends nothing. */
export interface DeliveredMarker {
  /**
   * The provider's reference of an earlier accepted delivery (or undefined), and whether the
   * gateway marked the challenge ended (`challengeEndedKey`), in one round trip.
   */
  lookup(challengeId: string): Promise<{ delivered: string | undefined; ended: boolean }>;
  mark(challengeId: string, providerRef: string, ttlSeconds: number): Promise<void>;
}

/**
 * `deliveredMarkerKey` → provider reference, expiring with the challenge; the otp worker's rerun
 * guard reads the same key. On the blocking BullMQ connection on purpose: a write right after the
 * provider accepted must wait out a Redis blip rather than fail, or the retried job would send a
 * second SMS.
 */
export class RedisDeliveredMarker implements DeliveredMarker {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  key(challengeId: string): string {
    return deliveredMarkerKey(this.prefix, challengeId);
  }

  async lookup(challengeId: string): Promise<{ delivered: string | undefined; ended: boolean }> {
    // Both keys start with the hash-tagged prefix: one slot, so one MGET on Redis Cluster too.
    const [delivered, ended] = await this.redis.mget(this.key(challengeId), challengeEndedKey(this.prefix, challengeId));
    return { delivered: delivered ?? undefined, ended: ended !== null };
  }

  async mark(challengeId: string, providerRef: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(challengeId), providerRef, 'EX', Math.max(1, ttlSeconds));
  }
}

/** Provider requests for one challenge whose outcome nobody saw (timeout, crash, SIGTERM). */
export interface SendAttempt {
  /** When the first of them started (ms since epoch): the provider lookup searches from here. */
  firstAt: number;
  /** When the latest of them started. */
  lastAt: number;
  /** How many may have reached the provider and are not known to have failed. */
  unconfirmed: number;
}

/**
 * Written before every provider request, so a rerun knows an earlier one may have been accepted
 * and asks the provider before sending again.
 */
export interface SendAttempts {
  find(challengeId: string): Promise<SendAttempt | undefined>;
  /** Before a provider request. */
  begin(challengeId: string, at: number, ttlSeconds: number): Promise<void>;
  /** After a request that certainly did not create anything (refused, throttled, never connected). */
  release(challengeId: string, ttlSeconds: number): Promise<void>;
}

/** `{prefix}:telephony-attempt:{challengeId}` → hash `firstAt`, `lastAt`, `unconfirmed`; expires with the challenge. Holds no number or code. */
export class RedisSendAttempts implements SendAttempts {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  key(challengeId: string): string {
    return `${this.prefix}:telephony-attempt:${challengeId}`;
  }

  async find(challengeId: string): Promise<SendAttempt | undefined> {
    const { firstAt, lastAt, unconfirmed } = await this.redis.hgetall(this.key(challengeId));
    const at = Number(firstAt);
    if (firstAt === undefined || !Number.isFinite(at)) return undefined;
    const latest = Number(lastAt);
    return { firstAt: at, lastAt: Number.isFinite(latest) ? latest : at, unconfirmed: Math.max(0, Number(unconfirmed) || 0) };
  }

  async begin(challengeId: string, at: number, ttlSeconds: number): Promise<void> {
    const key = this.key(challengeId);
    // One key, so one slot: a MULTI works on a cluster too. The first attempt's time stays.
    await execOrThrow(this.redis.multi().hsetnx(key, 'firstAt', String(at)).hset(key, 'lastAt', String(at)).hincrby(key, 'unconfirmed', 1).expire(key, Math.max(1, ttlSeconds)));
  }

  async release(challengeId: string, ttlSeconds: number): Promise<void> {
    const key = this.key(challengeId);
    // Only an existing record: HINCRBY on an expired key would leave one without a TTL.
    if ((await this.redis.exists(key)) === 0) return;
    await execOrThrow(this.redis.multi().hincrby(key, 'unconfirmed', -1).expire(key, Math.max(1, ttlSeconds)));
  }
}

async function execOrThrow(multi: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([error]) => error !== null);
  if (results === null || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
}
