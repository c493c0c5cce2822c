import { base64url, base64urlJson } from './base64url';
import { randomBytes, type WebCrypto, type WebCryptoKey } from './web-crypto';

/** Lifetime of every token the device signs; API.md §2 allows at most 300 s. */
export const TOKEN_LIFETIME_SECONDS = 120;

export type Decision = 'approve' | 'deny';

export interface SigningContext {
  crypto: WebCrypto;
  key: WebCryptoKey;
  deviceId: string;
  /** Milliseconds since the epoch. */
  now: number;
}

/** Compact JWS, ES256. WebCrypto's ECDSA signature is already r||s, the JOSE form. */
async function signCompact(ctx: SigningContext, header: Record<string, string>, claims: Record<string, unknown>): Promise<string> {
  const signingInput = `${base64urlJson(header)}.${base64urlJson(claims)}`;
  const signature = await ctx.crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ctx.key, new TextEncoder().encode(signingInput));
  return `${signingInput}.${base64url(new Uint8Array(signature))}`;
}

function issuedAt(now: number): { iat: number; exp: number } {
  const iat = Math.floor(now / 1000);
  return { iat, exp: iat + TOKEN_LIFETIME_SECONDS };
}

/** The bearer token of one device request: `{sub, iat, exp, jti}`, a fresh 128-bit jti each time. */
export function createDeviceJwt(ctx: SigningContext): Promise<string> {
  const jti = base64url(randomBytes(ctx.crypto, 16));
  return signCompact(ctx, { alg: 'ES256', typ: 'JWT', kid: ctx.deviceId }, { sub: ctx.deviceId, ...issuedAt(ctx.now), jti });
}

export interface ResponseClaimsInput {
  challengeId: string;
  decision: Decision;
  bindingCode?: string;
  fraud?: boolean;
}

/** The signed answer to a challenge; `fraud` only travels on a deny, and only when true. */
export function createResponseJws(ctx: SigningContext, input: ResponseClaimsInput): Promise<string> {
  const claims: Record<string, unknown> = { sub: ctx.deviceId, challenge_id: input.challengeId, decision: input.decision };
  if (input.bindingCode !== undefined) claims.binding_code = input.bindingCode;
  if (input.decision === 'deny' && input.fraud === true) claims.fraud = true;
  return signCompact(ctx, { alg: 'ES256', typ: 'JWT' }, { ...claims, ...issuedAt(ctx.now) });
}
