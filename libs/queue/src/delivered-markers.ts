import type { RedisConnection } from './redis-connection';

export interface DeliveredMarker {
  providerRef?: string;
}

/** Remembers which challenges the provider already accepted (code or push), for the challenge lifetime, so a rerun job sends nothing. */
export interface DeliveredMarkers {
  find(challengeId: string): Promise<DeliveredMarker | undefined>;
  mark(challengeId: string, marker: DeliveredMarker, ttlSeconds: number): Promise<void>;
}

/**
 * Where a delivering worker marks a challenge delivered. One definition for every writer (the
 * telephony worker keeps its own value format) and for the otp worker, whose rerun guard reads it.
 */
export function deliveredMarkerKey(prefix: string, challengeId: string): string {
  return `${prefix}:delivered:${challengeId}`;
}

/** `deliveredMarkerKey` → `{"providerRef":…}`, expiring with the challenge. */
export class RedisDeliveredMarkers implements DeliveredMarkers {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  key(challengeId: string): string {
    return deliveredMarkerKey(this.prefix, challengeId);
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
