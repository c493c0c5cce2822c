import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CryptoPlugin } from '@otplib/totp';

/**
 * otplib plugins on Node's own crypto. otplib's bundled defaults (@noble, @scure) are ESM-only;
 * these keep the gateway plain CommonJS and use the platform's audited HMAC.
 */
export const nodeCryptoPlugin: CryptoPlugin = {
  name: 'node-crypto',
  algorithms: ['sha1', 'sha256', 'sha512'],
  hmac: (algorithm, key, data) => new Uint8Array(createHmac(algorithm, key).update(data).digest()),
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
  constantTimeEqual: (a, b) => {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
  },
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as authenticator apps expect secrets. */
export const base32Plugin = {
  name: 'rfc4648-base32',
  encode(data: Uint8Array): string {
    let bits = 0;
    let value = 0;
    let out = '';
    for (const byte of data) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += ALPHABET[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
    return out;
  },
  decode(input: string): Uint8Array {
    const clean = input.replace(/[\s=]/g, '').toUpperCase();
    const out: number[] = [];
    let bits = 0;
    let value = 0;
    for (const char of clean) {
      const index = ALPHABET.indexOf(char);
      if (index < 0) throw new Error('invalid base32 secret');
      value = (value << 5) | index;
      bits += 5;
      if (bits >= 8) {
        out.push((value >>> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    return new Uint8Array(out);
  },
};
