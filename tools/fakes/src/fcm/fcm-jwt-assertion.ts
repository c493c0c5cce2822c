import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export interface AssertionClaims {
  iss: string;
  aud: string;
  scope?: string;
  iat: number;
  exp: number;
}

export type AssertionCheck = { ok: true; claims: AssertionClaims } | { ok: false; description: string };

/** Clock skew tolerated between the client signing an assertion and the fake checking it. */
const SKEW_SECONDS = 60;
/** Google refuses assertions valid for longer than an hour. */
const MAX_LIFETIME_SECONDS = 3_600;

function decodeJson(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/**
 * Verifies a JWT-bearer assertion (RFC 7523) the way Google's token endpoint does: an RS256 JWS
 * signed by the service account's key, issued by its client_email, addressed to the token URL,
 * and currently valid. Descriptions follow Google's `error_description` wording.
 */
export function verifyAssertion(
  assertion: string,
  expected: { clientEmail: string; publicKeyPem: string | KeyObject; audiences: readonly string[] },
  nowSeconds = Math.floor(Date.now() / 1_000),
): AssertionCheck {
  const parts = assertion.split('.');
  if (parts.length !== 3) return { ok: false, description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: unknown };
  let claims: Partial<AssertionClaims>;
  try {
    header = decodeJson(headerPart) as { alg?: unknown };
    claims = decodeJson(payloadPart) as Partial<AssertionClaims>;
  } catch {
    return { ok: false, description: 'Invalid JWT: the header or claims are not JSON' };
  }
  if (header.alg !== 'RS256') return { ok: false, description: 'Invalid JWT: unsupported signing algorithm' };
  const key = typeof expected.publicKeyPem === 'string' ? createPublicKey(expected.publicKeyPem) : expected.publicKeyPem;
  const signed = verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), key, Buffer.from(signaturePart, 'base64url'));
  if (!signed) return { ok: false, description: 'Invalid JWT Signature.' };
  if (claims.iss !== expected.clientEmail) return { ok: false, description: 'Invalid JWT: unknown issuer' };
  if (typeof claims.aud !== 'string' || !expected.audiences.includes(claims.aud)) return { ok: false, description: 'Invalid JWT: audience is not the token URL' };
  if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return { ok: false, description: 'Invalid JWT: iat and exp are required' };
  if (claims.exp <= nowSeconds - SKEW_SECONDS || claims.iat > nowSeconds + SKEW_SECONDS || claims.exp - claims.iat > MAX_LIFETIME_SECONDS) {
    return { ok: false, description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.' };
  }
  return { ok: true, claims: claims as AssertionClaims };
}
