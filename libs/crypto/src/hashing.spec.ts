import { blindIndex, constantTimeEqual, hashApiKey, newSalt, saltedHash } from './hashing';
import { newId, randomDigits } from './random';

describe('hashing', () => {
  it('hashes API keys deterministically without revealing them', () => {
    expect(hashApiKey('mfa_secret')).toBe(hashApiKey('mfa_secret'));
    expect(hashApiKey('mfa_secret')).not.toContain('secret');
    expect(hashApiKey('mfa_secret')).not.toBe(hashApiKey('mfa_secreT'));
  });

  it('salts: the same code under two salts gives two hashes', () => {
    const code = 'ABCD-EFGH';
    expect(saltedHash(code, newSalt())).not.toBe(saltedHash(code, newSalt()));
  });

  it('keys the blind index', () => {
    expect(blindIndex('+14155550123', 'k1')).toBe(blindIndex('+14155550123', 'k1'));
    expect(blindIndex('+14155550123', 'k1')).not.toBe(blindIndex('+14155550123', 'k2'));
  });

  it.each([
    ['a', 'a', true],
    ['a', 'b', false],
    ['short', 'much longer value', false],
    ['', '', true],
  ])('constantTimeEqual(%j, %j) is %s', (a, b, equal) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
  });

  it('draws ids and digits of the requested shape', () => {
    expect(newId('fac')).toMatch(/^fac_[A-Za-z0-9_-]{20}$/);
    expect(randomDigits(8)).toMatch(/^\d{8}$/);
  });
});
