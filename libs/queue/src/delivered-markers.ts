import { challengeEndedKey } from './ended-marker';
import type { RedisConnection } from './redis-connection';

export interface DeliveredMarker {
  providerRef?: string;
}

/** What a delivering worker must know before it sends: whether the provider took it already, and whether the challenge ended meanwhile. */
export interface DeliveryGuard {
  delivered: DeliveredMarker | undefined;
  /** The gateway marked the challenge ended (`challengeEndedKey`): nothing is to be sent for it. */
  ended: boolean;
}

/** Remembers which challenges the provider already accepted (code or push), for the challenge lifetime, so a rerun job sends nothing. */
export interface DeliveredMarkers {
  /** The delivered mark and the gateway's ended mark, in one round trip. */
  lookup(challengeId: string): Promise<DeliveryGuard>;
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

  async lookup(challengeId: string): Promise<DeliveryGuard> {
    // Both keys start with the hash-tagged prefix: one slot, so one MGET on Redis Cluster too.
    const [value, ended] = await this.redis.mget(this.key(challengeId), challengeEndedKey(this.prefix, challengeId));
    return { delivered: value === null ? undefined : parseMarker(value), ended: ended !== null };
  }

  async mark(challengeId: string, marker: DeliveredMarker, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(challengeId), JSON.stringify(marker), 'EX', ttlSeconds);
  }
}

function parseMarker(value: string): DeliveredMarker {
  try {
    const parsed = JSON.parse(value) as { providerRef?: unknown };
    return typeof parsed.providerRef === 'string' ? { providerRef: parsed.providerRef } : {};
  } catch {
    // Any value marks the challenge as delivered, whoever wrote it.
    return {};
  }
}
