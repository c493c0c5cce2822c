import { blindIndex, blindIndexes, needsReindex } from './blind-index';
import { constantTimeEqual, hashApiKey, newSalt, saltedHash } from './hashing';
import { Keyring } from './keyring';
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

  it('keys the blind index and names the key, so look-ups survive rotation', () => {
    const keyring = Keyring.parse(`${Keyring.generateSpec('k2')},${Keyring.generateSpec('k1')}`);
    const index = blindIndex(keyring, '+14155550123');
    expect(index).toBe(blindIndex(keyring, '+14155550123'));
    expect(index.startsWith('k2.')).toBe(true);
    expect(index.length).toBeLessThanOrEqual(63);
    expect(index).not.toContain('4155550123');
    expect(blindIndexes(keyring, '+14155550123')).toEqual([index, blindIndex(keyring, '+14155550123', 'k1')]);
    expect(needsReindex(keyring, blindIndex(keyring, 'x', 'k1'))).toBe(true);
    expect(needsReindex(keyring, index)).toBe(false);
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
