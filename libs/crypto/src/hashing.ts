import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Hashes for high-entropy secrets (API keys, recovery codes, one-time codes). These values carry
 * 80+ bits of randomness, so a salted SHA-256 is enough (OWASP ASVS 2.6.2) and keeps lookups cheap;
 * passwords would need a slow hash, but nothing here is a password.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function hashApiKey(apiKey: string): string {
  return sha256Hex(`mfa-api-key:${apiKey}`);
}

export function newSalt(): string {
  return randomBytes(16).toString('base64url');
}

export function saltedHash(value: string, salt: string): string {
  return createHmac('sha256', salt).update(value, 'utf8').digest('hex');
}

/** Compares two strings without leaking where they differ; lengths are hidden by hashing first. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}
