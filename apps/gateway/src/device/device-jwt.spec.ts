import { generateKeyPairSync, sign } from 'node:crypto';
import { assertTimely, CLOCK_SKEW_SECONDS, decodeJws, verifyEs256 } from './device-jwt';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function jws(header: Record<string, unknown>, claims: Record<string, unknown> | Buffer): string {
  const input = `${b64(header)}.${Buffer.isBuffer(claims) ? claims.toString('base64url') : b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

describe('verifyEs256', () => {
  it('accepts an ES256 token signed by the key', () => {
    expect(() => verifyEs256(decodeJws(jws({ alg: 'ES256', typ: 'JWT' }, { sub: 'd' })), publicKey)).not.toThrow();
  });

  it.each([['an extension it names', ['exp']], ['an empty list', []], ['a value of the wrong type', 'b64']])('refuses a crit header (%s): no critical extension is understood', (_what, crit) => {
    expect(() => verifyEs256(decodeJws(jws({ alg: 'ES256', crit }, { sub: 'd' })), publicKey)).toThrow(/critical extensions/);
  });
});

describe('decodeJws', () => {
  it('refuses claims that are not UTF-8 instead of decoding them to U+FFFD', () => {
    const claims = Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0x61, 0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    expect(() => decodeJws(jws({ alg: 'ES256' }, claims))).toThrow(/not JSON/);
  });
});

describe('assertTimely', () => {
  const nowMs = 1_700_000_000_000;
  const now = nowMs / 1000;

  it('accepts nbf in the past, now, or within the clock tolerance', () => {
    for (const nbf of [now - 30, now, now + CLOCK_SKEW_SECONDS]) expect(assertTimely({ iat: now, exp: now + 120, nbf }, nowMs)).toEqual({ iat: now, exp: now + 120 });
  });

  it.each([
    ['nbf beyond the clock tolerance', { iat: now, exp: now + 120, nbf: now + CLOCK_SKEW_SECONDS + 1 }, /not valid yet/],
    ['a non-numeric nbf', { iat: now, exp: now + 120, nbf: 'soon' }, /nbf must be numeric/],
    ['iat beyond the clock tolerance', { iat: now + CLOCK_SKEW_SECONDS + 1, exp: now + 120 }, /issued in the future/],
    ['an expired token', { iat: now - 200, exp: now - 1 }, /expired/],
  ])('refuses %s', (_what, claims, message) => {
    expect(() => assertTimely(claims, nowMs)).toThrow(message);
  });
});
