import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { base64url } from './base64url';
import { generateDeviceKeyPair, type PublicJwk } from './device-key';
import { createDeviceJwt, createResponseJws, TOKEN_LIFETIME_SECONDS, type SigningContext } from './signed-token';
import { defaultWebCrypto } from './web-crypto';

/** Verifies with Node's crypto, not with anything from the SDK. */
function verifyIndependently(token: string, jwk: PublicJwk): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims, signature] = token.split('.');
  expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/); // compact, base64url, no padding
  const key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
  const signatureBytes = Buffer.from(signature, 'base64url');
  expect(signatureBytes).toHaveLength(64); // r||s, not DER
  expect(verify('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, signatureBytes)).toBe(true);
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), claims: JSON.parse(Buffer.from(claims, 'base64url').toString()) };
}

describe('device tokens', () => {
  const crypto = defaultWebCrypto();
  const now = Date.UTC(2030, 0, 1, 12, 0, 0, 700);
  let ctx: SigningContext;
  let publicKey: PublicJwk;

  beforeAll(async () => {
    const pair = await generateDeviceKeyPair(crypto, 'jwk');
    publicKey = pair.publicKey;
    ctx = { crypto, key: pair.signingKey, deviceId: 'dev_123', now };
  });

  it('signs the request JWT with ES256: header {alg, typ, kid}, claims {sub, iat, exp, jti}', async () => {
    const { header, claims } = verifyIndependently(await createDeviceJwt(ctx), publicKey);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'dev_123' });
    expect(Object.keys(claims).sort()).toEqual(['exp', 'iat', 'jti', 'sub']);
    expect(claims.sub).toBe('dev_123');
    expect(claims.iat).toBe(Math.floor(now / 1000));
    expect(claims.exp).toBe(Math.floor(now / 1000) + TOKEN_LIFETIME_SECONDS);
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(300);
    expect(Buffer.from(claims.jti as string, 'base64url')).toHaveLength(16); // 128 bits
  });

  it('gives every request JWT its own jti', async () => {
    const jtis = new Set<string>();
    for (let i = 0; i < 200; i++) jtis.add(verifyIndependently(await createDeviceJwt(ctx), publicKey).claims.jti as string);
    expect(jtis.size).toBe(200);
  });

  it('does not verify under another key or after tampering', async () => {
    const other = await generateDeviceKeyPair(crypto, 'jwk');
    const token = await createDeviceJwt(ctx);
    const [h, c, s] = token.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ sub: 'dev_999', iat: 0, exp: 1, jti: 'x' })).toString('base64url');
    const check = (input: string, jwk: PublicJwk): boolean =>
      verify('sha256', Buffer.from(input), { key: createPublicKey({ key: { ...jwk }, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    expect(check(`${h}.${c}`, publicKey)).toBe(true);
    expect(check(`${h}.${c}`, other.publicKey)).toBe(false);
    expect(check(`${h}.${forgedClaims}`, publicKey)).toBe(false);
  });

  it('signs an approval with the challenge id and the number the user typed', async () => {
    const token = await createResponseJws(ctx, { challengeId: 'ch_1', decision: 'approve', bindingCode: '42' });
    const { header, claims } = verifyIndependently(token, publicKey);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT' });
    const iat = Math.floor(now / 1000);
    expect(claims).toEqual({ sub: 'dev_123', challenge_id: 'ch_1', decision: 'approve', binding_code: '42', iat, exp: iat + TOKEN_LIFETIME_SECONDS });
  });

  it('signs a deny, with fraud only when the user said "this wasn\'t me"', async () => {
    const plain = verifyIndependently(await createResponseJws(ctx, { challengeId: 'ch_1', decision: 'deny' }), publicKey).claims;
    expect(plain).not.toHaveProperty('fraud');
    expect(plain).not.toHaveProperty('binding_code');
    expect(plain.decision).toBe('deny');
    const fraud = verifyIndependently(await createResponseJws(ctx, { challengeId: 'ch_1', decision: 'deny', fraud: true }), publicKey).claims;
    expect(fraud.fraud).toBe(true);
    const approve = verifyIndependently(await createResponseJws(ctx, { challengeId: 'ch_1', decision: 'approve', fraud: true }), publicKey).claims;
    expect(approve).not.toHaveProperty('fraud');
  });

  it('signs with a non-extractable key, and its public half still exports', async () => {
    const pair = await generateDeviceKeyPair(crypto, 'non-extractable');
    expect(pair.signingKey.extractable).toBe(false);
    expect(Object.keys(pair.publicKey).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    const { claims } = verifyIndependently(await createDeviceJwt({ ...ctx, key: pair.signingKey }), pair.publicKey);
    expect(claims.sub).toBe('dev_123');
  });
});

describe('base64url', () => {
  it('matches Node’s encoder for every length remainder, without padding', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      expect(base64url(bytes)).toBe(bytes.toString('base64url'));
    }
  });
});
