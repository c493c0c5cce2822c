import type { RedisConnection } from '@mfa/queue';
import { resourceExhausted } from '@mfa/domain';
import { viaRedis } from './redis-availability';

export interface SendLimit {
  count: number;
  windowSeconds: number;
}

export interface SendLimits {
  perDestination: SendLimit;
  perUser: SendLimit;
  perTenant: SendLimit;
}

/** Defaults (README): 5 codes per number or address per 10 minutes, 10 per user, 1000 per tenant per minute. */
export const DEFAULT_SEND_LIMITS: SendLimits = {
  perDestination: { count: 5, windowSeconds: 600 },
  perUser: { count: 10, windowSeconds: 600 },
  perTenant: { count: 1000, windowSeconds: 60 },
};

/** Parses `count/windowSeconds`, e.g. `5/600`. */
export function parseSendLimit(name: string, raw: string | undefined, fallback: SendLimit): SendLimit {
  if (!raw) return fallback;
  const match = /^(\d+)\/(\d+)$/.exec(raw.trim());
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new Error(`${name} must look like COUNT/SECONDS, e.g. 5/600`);
  return { count: Number(match[1]), windowSeconds: Number(match[2]) };
}

// Checks every window first and counts only when all have room: a refused send uses no budget.
const CHECK_AND_COUNT = `
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 1 then ttl = tonumber(ARGV[2 * i]) end
    return ttl
  end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[2 * i]) end
end
return 0
`;

/**
 * Abuse limits on code sends (SMS pumping, mail bombing): fixed windows per destination, per
 * user and per tenant, checked and counted atomically in Redis so replicas share them.
 */
const COMMAND = 'mfaCheckAndCountSends';
type WithCommand = RedisConnection & { [COMMAND](numberOfKeys: number, ...keysAndArgs: string[]): Promise<number> };

export class SendRateLimiter {
  private readonly redis: WithCommand;

  constructor(
    redis: RedisConnection,
    private readonly prefix: string,
    private readonly limits: SendLimits,
  ) {
    // A defined command runs by its SHA (EVALSHA, loading the script only when Redis lacks it),
    // instead of sending and hashing the whole script with every send.
    redis.defineCommand(COMMAND, { lua: CHECK_AND_COUNT });
    this.redis = redis as WithCommand;
  }

  /** Counts one send, or throws RESOURCE_EXHAUSTED with `retry-after` and counts nothing. */
  async consume(tenantId: string, userId: string, destinationIndex: string): Promise<void> {
    const { perDestination, perUser, perTenant } = this.limits;
    const keys = [
      `${this.prefix}:limit:dest:${tenantId}:${destinationIndex}`,
      `${this.prefix}:limit:user:${tenantId}:${Buffer.from(userId).toString('base64url')}`,
      `${this.prefix}:limit:tenant:${tenantId}`,
    ];
    const args = [perDestination, perUser, perTenant].flatMap((l) => [String(l.count), String(l.windowSeconds)]);
    const retryAfter = Number(await viaRedis(() => this.redis[COMMAND](keys.length, ...keys, ...args)));
    if (retryAfter > 0) throw resourceExhausted('rate_limited', retryAfter, 'too many codes sent: try again later');
  }
}
