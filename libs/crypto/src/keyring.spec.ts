import { Keyring, KeyringError } from './keyring';

describe('Keyring', () => {
  const oldSpec = Keyring.generateSpec('old');
  const newSpec = Keyring.generateSpec('new');

  it('round-trips a secret and never stores the plaintext', () => {
    const keyring = Keyring.parse(oldSpec);
    const sealed = keyring.encrypt('JBSWY3DPEHPK3PXP', 'factor:f1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(sealed.startsWith('v1.old.')).toBe(true);
    expect(keyring.decryptText(sealed, 'factor:f1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('uses a fresh IV for every encryption', () => {
    const keyring = Keyring.parse(oldSpec);
    expect(keyring.encrypt('same', 'a')).not.toBe(keyring.encrypt('same', 'a'));
  });

  it('refuses a ciphertext moved to another row (associated data differs)', () => {
    const keyring = Keyring.parse(oldSpec);
    const sealed = keyring.encrypt('secret', 'factor:f1');
    expect(() => keyring.decrypt(sealed, 'factor:f2')).toThrow(KeyringError);
  });

  it('refuses a tampered ciphertext', () => {
    const keyring = Keyring.parse(oldSpec);
    const sealed = keyring.encrypt('secret', 'x');
    // Flip one bit of a byte inside the envelope: changing the last base64url characters can
    // land on padding bits that decode to the same bytes, which made this test pass by luck.
    const dot = sealed.lastIndexOf('.');
    const bytes = Buffer.from(sealed.slice(dot + 1), 'base64url');
    bytes[bytes.length - 1] ^= 0x01;
    const tampered = `${sealed.slice(0, dot + 1)}${bytes.toString('base64url')}`;
    expect(() => keyring.decrypt(tampered, 'x')).toThrow(KeyringError);
  });

  it('rotates: new primary encrypts, old key still decrypts, re-encryption moves to the primary', () => {
    const before = Keyring.parse(oldSpec);
    const sealed = before.encrypt('secret', 'x');
    const after = Keyring.parse(`${newSpec},${oldSpec}`);
    expect(after.primaryKeyId).toBe('new');
    expect(after.needsReencryption(sealed)).toBe(true);
    const resealed = after.reencrypt(sealed, 'x');
    expect(after.needsReencryption(resealed)).toBe(false);
    expect(after.decryptText(resealed, 'x')).toBe('secret');
    expect(() => before.decrypt(resealed, 'x')).toThrow(/does not hold/);
  });

  it.each([
    ['', /holds no key/],
    ['nokey', /kid:base64key/],
    [':AAAA', /kid:base64key/],
    ['k1:AAAA', /32 bytes/],
    [`${oldSpec},${oldSpec}`, /twice/],
  ])('rejects the spec %j', (spec, message) => {
    expect(() => Keyring.parse(spec)).toThrow(message);
  });

  it('derives stable, purpose-bound subkeys per key id', () => {
    const keyring = Keyring.parse(`${newSpec},${oldSpec}`);
    expect(keyring.deriveKey('otp')).toEqual(keyring.deriveKey('otp', 'new'));
    expect(keyring.deriveKey('otp')).not.toEqual(keyring.deriveKey('index'));
    expect(keyring.deriveKey('otp', 'old')).not.toEqual(keyring.deriveKey('otp', 'new'));
    expect(() => keyring.deriveKey('otp', 'gone')).toThrow(KeyringError);
  });

  it('hands out a subkey its caller may overwrite without changing the next one', () => {
    const keyring = Keyring.parse(newSpec);
    const first = keyring.deriveKey('otp');
    const expected = Buffer.from(first);
    first.fill(0);
    expect(keyring.deriveKey('otp')).toEqual(expected);
  });
});
