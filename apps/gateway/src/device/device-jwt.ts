import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

/** A device's public key as it enrolled it: EC P-256, public part only. */
export interface DevicePublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

export class DeviceJwtError extends Error {
  override name = 'DeviceJwtError';
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 4_096;
/** Fatal: a header or claims set that is not UTF-8 is refused, not patched with U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Validates an enrolled public key; refuses anything but a public P-256 key (a private part included). */
export function parseDevicePublicKey(value: unknown): { jwk: DevicePublicJwk; key: KeyObject } {
  const jwk = value as Record<string, unknown> | null;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new DeviceJwtError('public_key must be a JWK object');
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new DeviceJwtError('public_key must be an EC P-256 JWK');
  if ('d' in jwk) throw new DeviceJwtError('public_key must not contain the private key');
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || !B64URL.test(jwk.x) || !B64URL.test(jwk.y)) throw new DeviceJwtError('public_key needs x and y');
  const clean: DevicePublicJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  try {
    return { jwk: clean, key: createPublicKey({ key: clean as JsonWebKey, format: 'jwk' }) };
  } catch {
    throw new DeviceJwtError('public_key is not a point on P-256');
  }
}

export interface DecodedJws {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** Splits a compact JWS without trusting it yet (the signer's id is needed to find its key). */
export function decodeJws(token: string): DecodedJws {
  if (token.length > MAX_TOKEN_LENGTH) throw new DeviceJwtError('token is too long');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) throw new DeviceJwtError('token is not a compact JWS');
  try {
    const header = JSON.parse(UTF8.decode(Buffer.from(parts[0], 'base64url'))) as Record<string, unknown>;
    const claims = JSON.parse(UTF8.decode(Buffer.from(parts[1], 'base64url'))) as Record<string, unknown>;
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null) throw new Error('not objects');
    return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    throw new DeviceJwtError('token header or claims are not JSON');
  }
}

/**
 * ES256 only: `alg: none`, HMAC and other algorithm tricks are refused before any key is used.
 * So is any `crit` header: this server understands no critical extension (RFC 7515 §4.1.11).
 */
export function verifyEs256(jws: DecodedJws, key: KeyObject): void {
  if (jws.header.alg !== 'ES256') throw new DeviceJwtError('token must be signed with ES256');
  if ('crit' in jws.header) throw new DeviceJwtError('token header names critical extensions this server does not understand');
  if (jws.signature.length !== 64) throw new DeviceJwtError('bad signature');
  const valid = verify('sha256', Buffer.from(jws.signingInput, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
  if (!valid) throw new DeviceJwtError('bad signature');
}

/**
 * A device token's lifetime rules: not expired, at most 5 minutes long, not issued in the future,
 * and, when it has `nbf`, already valid; "the future" allows the device's clock to run a minute ahead.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 300;
export const CLOCK_SKEW_SECONDS = 60;

export function assertTimely(claims: Record<string, unknown>, nowMs: number): { iat: number; exp: number } {
  const { iat, exp, nbf } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isFinite(iat) || !Number.isFinite(exp)) throw new DeviceJwtError('token needs numeric iat and exp');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) throw new DeviceJwtError('token nbf must be numeric');
  const now = nowMs / 1000;
  if (exp <= now) throw new DeviceJwtError('token expired');
  if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS || exp < iat) throw new DeviceJwtError('token lifetime exceeds 5 minutes');
  if (iat > now + CLOCK_SKEW_SECONDS) throw new DeviceJwtError('token issued in the future');
  if (nbf !== undefined && nbf > now + CLOCK_SKEW_SECONDS) throw new DeviceJwtError('token not valid yet (nbf)');
  return { iat, exp };
}
