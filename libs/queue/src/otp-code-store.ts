import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keyring } from '@mfa/crypto';

const PURPOSE = 'otp-code';

/**
 * Where the otp worker leaves a drawn code for the gateway to check: only an HMAC of it (keyed
 * by a subkey of MFA_ENCRYPTION_KEYS, so a Redis dump alone cannot be brute-forced back to the
 * code), its key id, and an expiry equal to the challenge lifetime.
 */
export class OtpCodeStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyring: Keyring,
    private readonly prefix: string,
  ) {}

  private key(challengeId: string): string {
    return `${this.prefix}:otp-code:${challengeId}`;
  }

  private mac(challengeId: string, code: string, keyId: string, salt: string): Buffer {
    return createHmac('sha256', this.keyring.deriveKey(PURPOSE, keyId)).update(`${challengeId}:${salt}:${code}`).digest();
  }

  /** Stores (or replaces) the code of a challenge. */
  async put(challengeId: string, code: string, ttlSeconds: number): Promise<void> {
    const keyId = this.keyring.primaryKeyId;
    const salt = randomBytes(16).toString('base64url');
    const hash = this.mac(challengeId, code, keyId, salt).toString('base64url');
    await this.redis.set(this.key(challengeId), `${keyId}.${salt}.${hash}`, 'EX', ttlSeconds);
  }

  /**
   * Checks a code in constant time; a match consumes it (single use). `missing` when no code is
   * stored: never issued yet, expired, or already used.
   */
  async consume(challengeId: string, code: string): Promise<'ok' | 'wrong' | 'missing'> {
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
    // DEL answers 1 only once: two concurrent right answers cannot both succeed.
    return (await this.redis.del(this.key(challengeId))) === 1 ? 'ok' : 'missing';
  }

  async discard(challengeId: string): Promise<void> {
    await this.redis.del(this.key(challengeId));
  }
}
