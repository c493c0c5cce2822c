import type { Redis } from 'ioredis';

export interface DeliveredMarker {
  providerRef?: string;
}

/** Remembers which challenges the provider already accepted (code or push), for the challenge lifetime, so a rerun job sends nothing. */
export interface DeliveredMarkers {
  find(challengeId: string): Promise<DeliveredMarker | undefined>;
  mark(challengeId: string, marker: DeliveredMarker, ttlSeconds: number): Promise<void>;
}

/** `${prefix}:delivered:${challengeId}` → `{"providerRef":…}`, expiring with the challenge. */
export class RedisDeliveredMarkers implements DeliveredMarkers {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(challengeId: string): string {
    return `${this.prefix}:delivered:${challengeId}`;
  }

  async find(challengeId: string): Promise<DeliveredMarker | undefined> {
    const value = await this.redis.get(this.key(challengeId));
    if (value === null) return undefined;
    try {
      const parsed = JSON.parse(value) as { providerRef?: unknown };
      return typeof parsed.providerRef === 'string' ? { providerRef: parsed.providerRef } : {};
    } catch {
      // Any value marks the challenge as delivered, whoever wrote it.
      return {};
    }
  }

  async mark(challengeId: string, marker: DeliveredMarker, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(challengeId), JSON.stringify(marker), 'EX', ttlSeconds);
  }
}
