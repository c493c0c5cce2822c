import { blindIndex, type Keyring } from '@mfa/crypto';
import type { RedisConnection } from '@mfa/queue';
import { resourceExhausted } from '@mfa/domain';
import type { Logger } from '@mfa/observability';
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

const COMMAND = 'mfaCheckAndCountSends';
type WithCommand = RedisConnection & { [COMMAND](numberOfKeys: number, ...keysAndArgs: string[]): Promise<number> };

/**
 * Counts one use in each window, or none when any is full: returns 0, or the seconds until the
 * full window ends. A defined command runs by its SHA (EVALSHA, loading the script only when
 * Redis lacks it), instead of sending and hashing the whole script every time.
 */
async function checkAndCount(redis: RedisConnection, windows: Array<{ key: string; limit: SendLimit }>): Promise<number> {
  if (!(COMMAND in redis)) redis.defineCommand(COMMAND, { lua: CHECK_AND_COUNT });
  const args = windows.flatMap(({ limit }) => [String(limit.count), String(limit.windowSeconds)]);
  return Number(await viaRedis(() => (redis as WithCommand)[COMMAND](windows.length, ...windows.map((w) => w.key), ...args)));
}

/**
 * Abuse limits on code sends (SMS pumping, mail bombing): fixed windows per destination, per
 * user and per tenant, checked and counted atomically in Redis so replicas share them.
 */
export class SendRateLimiter {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly limits: SendLimits,
    private readonly keyring: Keyring,
  ) {}

  /** Counts one send, or throws RESOURCE_EXHAUSTED with `retry-after` and counts nothing. */
  async consume(tenantId: string, userId: string, destinationIndex: string): Promise<void> {
    const { perDestination, perUser, perTenant } = this.limits;
    const retryAfter = await checkAndCount(this.redis, [
      { key: `${this.prefix}:limit:dest:${tenantId}:${destinationIndex}`, limit: perDestination },
      // Keyed, as the destination's index is: a user id is often an e-mail address, and key names show in every Redis tool.
      { key: `${this.prefix}:limit:user:${tenantId}:${blindIndex(this.keyring, `user\u0000${tenantId}\u0000${userId}`)}`, limit: perUser },
      { key: `${this.prefix}:limit:tenant:${tenantId}`, limit: perTenant },
    ]);
    if (retryAfter > 0) throw resourceExhausted('rate_limited', retryAfter, 'too many codes sent: try again later');
  }
}

/** Default (README): 10 prompts to one PUSH or DUO factor without an approval, per 10 minutes. */
export const DEFAULT_PROMPT_LIMIT: SendLimit = { count: 10, windowSeconds: 600 };

/**
 * Push bombing (MFA fatigue) and paid Duo phone calls: prompts to one PUSH or DUO factor are
 * limited per window, and an approval starts the count over, so a user who approves the logins
 * they make never meets the limit, however many they make.
 */
export class PromptRateLimiter {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly limit: SendLimit,
    private readonly logger: Logger,
  ) {}

  /** Counts one prompt, or throws RESOURCE_EXHAUSTED with `retry-after` and counts nothing. */
  async consume(tenantId: string, factorId: string): Promise<void> {
    const retryAfter = await checkAndCount(this.redis, [{ key: this.key(tenantId, factorId), limit: this.limit }]);
    if (retryAfter > 0) throw resourceExhausted('rate_limited', retryAfter, 'too many prompts to this factor without an approval: try again later');
  }

  /** After an approval. Best effort: the approval stands even when Redis cannot take this. */
  async startOver(tenantId: string, factorId: string): Promise<void> {
    try {
      await this.redis.del(this.key(tenantId, factorId));
    } catch (error) {
      this.logger.warn({ err: error, factorId }, 'could not reset the prompt limit after an approval');
    }
  }

  private key(tenantId: string, factorId: string): string {
    return `${this.prefix}:limit:prompt:${tenantId}:${factorId}`;
  }
}
