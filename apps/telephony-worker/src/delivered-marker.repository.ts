import type { RedisConnection } from '@mfa/queue';
import { deliveredMarkerKey } from '@mfa/queue';

/** Remembers which challenges the provider already accepted, so a rerun job sends nothing. */
export interface DeliveredMarker {
  /** The provider's reference of an earlier accepted delivery, or undefined. */
  find(challengeId: string): Promise<string | undefined>;
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

  async find(challengeId: string): Promise<string | undefined> {
    return (await this.redis.get(this.key(challengeId))) ?? undefined;
  }

  async mark(challengeId: string, providerRef: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(challengeId), providerRef, 'EX', Math.max(1, ttlSeconds));
  }
}
