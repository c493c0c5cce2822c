import { randomBytes, randomInt } from 'node:crypto';

/** An opaque, URL-safe identifier such as `fac_3q9J…` (120 random bits). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(15).toString('base64url')}`;
}

/** A secret token (256 random bits, base64url). */
export function newSecretToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function randomDigits(count: number): string {
  let digits = '';
  for (let i = 0; i < count; i++) digits += randomInt(0, 10).toString();
  return digits;
}

export function secureRandomBytes(count: number): Uint8Array {
  return new Uint8Array(randomBytes(count));
}
