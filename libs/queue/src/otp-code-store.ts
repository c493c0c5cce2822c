import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisConnection } from './redis-connection';
import type { Keyring } from '@mfa/crypto';

const PURPOSE = 'otp-code';

/** KEYS: the code, then the keys that must not exist. ARGV: the stored value, its lifetime in seconds. */
const PUT_UNLESS_EXISTS = `
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;
const PUT_UNLESS_EXISTS_COMMAND = 'otpCodePutUnlessAnyExists';

type PutUnlessExists = (numberOfKeys: number, ...keysAndArgs: (string | number)[]) => Promise<0 | 1>;

/** Where the keyed hash of a challenge's code is kept: it exists once a run of the otp worker has drawn the code. */
export function otpCodeKey(prefix: string, challengeId: string): string {
  return `${prefix}:otp-code:${challengeId}`;
}

/**
 * Where the otp worker leaves a drawn code for the gateway to check: only an HMAC of it (keyed
 * by a subkey of MFA_ENCRYPTION_KEYS, so a Redis dump alone cannot be brute-forced back to the
 * code), its key id, and an expiry equal to the challenge lifetime.
 */
export class OtpCodeStore {
  private putUnlessExistsCommand: PutUnlessExists | undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keyring: Keyring,
    private readonly prefix: string,
  ) {}

  private key(challengeId: string): string {
    return otpCodeKey(this.prefix, challengeId);
  }

  private mac(challengeId: string, code: string, keyId: string, salt: string): Buffer {
    return createHmac('sha256', this.keyring.deriveKey(PURPOSE, keyId)).update(`${challengeId}:${salt}:${code}`).digest();
  }

  /**
   * Stores (or replaces) the code of a challenge unless one of `guardKeys` exists, checked and
   * written in one script (one round trip, nothing in between). The otp worker guards with the
   * delivery job's key and the delivered marker (once either exists, the hash stored for the code
   * on its way must stay) and with the gateway's mark that the challenge ended (then no code is
   * drawn at all). False when one existed.
   */
  async putUnlessExists(challengeId: string, code: string, ttlSeconds: number, guardKeys: readonly string[]): Promise<boolean> {
    const keyId = this.keyring.primaryKeyId;
    const salt = randomBytes(16).toString('base64url');
    const hash = this.mac(challengeId, code, keyId, salt).toString('base64url');
    return (await this.putUnlessExistsScript()(1 + guardKeys.length, this.key(challengeId), ...guardKeys, `${keyId}.${salt}.${hash}`, ttlSeconds)) === 1;
  }

  /** The script as an ioredis command: EVALSHA, loading the script when Redis does not know it. */
  private putUnlessExistsScript(): PutUnlessExists {
    if (!this.putUnlessExistsCommand) {
      const commands = this.redis as unknown as Record<string, PutUnlessExists | undefined>;
      if (!commands[PUT_UNLESS_EXISTS_COMMAND]) this.redis.defineCommand(PUT_UNLESS_EXISTS_COMMAND, { lua: PUT_UNLESS_EXISTS });
      this.putUnlessExistsCommand = (commands[PUT_UNLESS_EXISTS_COMMAND] as PutUnlessExists).bind(this.redis);
    }
    return this.putUnlessExistsCommand;
  }

  /**
   * Checks a code in constant time, leaving it stored. `missing` when no code is stored: never
   * issued yet, expired, or used. The gateway checks with this and discards the code once the
   * approval is committed: a code deleted before a commit that then fails would be lost.
   */
  async check(challengeId: string, code: string): Promise<'ok' | 'wrong' | 'missing'> {
    const stored = await this.redis.get(this.key(challengeId));
    if (!stored) return 'missing';
    const [keyId, salt, hash] = stored.split('.');
    let expected: Buffer;
    try {
      expected = Buffer.from(hash ?? '', 'base64url');
      const actual = this.mac(challengeId, code, keyId, salt);
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return 'wrong';
    } catch {
      return 'wrong';
    }
    return 'ok';
  }

  /** Checks a code; a match consumes it (single use: DEL answers 1 only once, so two concurrent right answers cannot both succeed). */
  async consume(challengeId: string, code: string): Promise<'ok' | 'wrong' | 'missing'> {
    const result = await this.check(challengeId, code);
    if (result !== 'ok') return result;
    return (await this.redis.del(this.key(challengeId))) === 1 ? 'ok' : 'missing';
  }

  async discard(challengeId: string): Promise<void> {
    await this.redis.del(this.key(challengeId));
  }
}
