import { describe, expect, it } from '@jest/globals';
import { emailIdentity, maskEmail, normalizeEmail } from './email';
import { DomainError, DomainErrorCode } from './errors';

const LOCAL_64 = 'a'.repeat(64);
const LABEL_63 = 'b'.repeat(63);
// 64 + 1 + (63 + 1) * 2 + (57 + 1) + 3 = 254 characters
const LONGEST = `${LOCAL_64}@${LABEL_63}.${LABEL_63}.${'c'.repeat(57)}.com`;
const TOO_LONG = `${LOCAL_64}@${LABEL_63}.${LABEL_63}.${'c'.repeat(58)}.com`;

describe('normalizeEmail', () => {
  it.each([
    ['jane@example.com', 'jane@example.com'],
    ['Jane.Doe@Example.COM', 'Jane.Doe@example.com'],
    ['jane+mfa@mail.example.co.uk', 'jane+mfa@mail.example.co.uk'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['a!#$%&\'*+/=?^_`{|}~-z@example.com', 'a!#$%&\'*+/=?^_`{|}~-z@example.com'],
    ['x@e.io', 'x@e.io'],
    ['jane@my-host.example.org', 'jane@my-host.example.org'],
    ['jane@123.example.com', 'jane@123.example.com'],
    ['jane@example.xn--p1ai', 'jane@example.xn--p1ai'],
    ['jane@XN--80AK6AA92E.COM', 'jane@xn--80ak6aa92e.com'],
    [`${LOCAL_64}@example.com`, `${LOCAL_64}@example.com`],
    [`jane@${LABEL_63}.com`, `jane@${LABEL_63}.com`],
    [LONGEST, LONGEST],
  ])('accepts %s as %s', (raw, normalized) => {
    expect(normalizeEmail(raw)).toBe(normalized);
  });

  it('the longest accepted address is 254 characters', () => {
    expect(LONGEST).toHaveLength(254);
    expect(TOO_LONG).toHaveLength(255);
  });

  it.each([
    ['empty', ''],
    ['no @', 'jane.example.com'],
    ['two @', 'jane@doe@example.com'],
    ['empty local part', '@example.com'],
    ['empty domain', 'jane@'],
    ['local part of 65', `${'a'.repeat(65)}@example.com`],
    ['255 characters', TOO_LONG],
    ['leading dot', '.jane@example.com'],
    ['trailing dot in local part', 'jane.@example.com'],
    ['consecutive dots', 'jane..doe@example.com'],
    ['space in local part', 'jane doe@example.com'],
    ['leading space', ' jane@example.com'],
    ['trailing space', 'jane@example.com '],
    ['trailing newline', 'jane@example.com\n'],
    ['tab', 'jane\t@example.com'],
    ['NUL', 'jane\u0000@example.com'],
    ['DEL', 'jane\u007f@example.com'],
    ['quoted local part', '"jane doe"@example.com'],
    ['parenthesis', 'jane(x)@example.com'],
    ['comma', 'jane,doe@example.com'],
    ['non-ASCII local part', 'jäne@example.com'],
    ['single-label domain', 'jane@localhost'],
    ['IP literal', 'jane@[192.0.2.1]'],
    ['numeric TLD', 'jane@192.0.2.1'],
    ['one-letter TLD', 'jane@example.c'],
    ['TLD with a digit', 'jane@example.c0m'],
    ['TLD with a hyphen', 'jane@example.co-m'],
    ['label starting with a hyphen', 'jane@-example.com'],
    ['label ending with a hyphen', 'jane@example-.com'],
    ['label of 64', `jane@${'b'.repeat(64)}.com`],
    ['empty label', 'jane@example..com'],
    ['leading dot in domain', 'jane@.example.com'],
    ['trailing dot in domain', 'jane@example.com.'],
    ['underscore in domain', 'jane@ex_ample.com'],
    ['non-ASCII domain', 'jane@exämple.com'],
    ['punycode TLD ending with a hyphen', 'jane@example.xn--p1ai-'],
  ])('rejects %s', (_label, raw) => {
    let thrown: unknown;
    try {
      normalizeEmail(raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    const error = thrown as DomainError;
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe('email');
    expect(error.message).toBe('email must be a valid address, e.g. jane@example.com');
  });
});

describe('emailIdentity', () => {
  it('is the same for addresses that differ only in case', () => {
    expect(emailIdentity(normalizeEmail('Jane.Doe@Example.com'))).toBe(
      emailIdentity(normalizeEmail('jane.doe@EXAMPLE.COM')),
    );
    expect(emailIdentity('Jane.Doe@example.com')).toBe('jane.doe@example.com');
  });

  it('tells different addresses apart', () => {
    expect(emailIdentity('jane@example.com')).not.toBe(emailIdentity('john@example.com'));
  });
});

describe('maskEmail', () => {
  it.each([
    ['jane@example.com', 'j***@example.com'],
    ['J@example.com', 'J***@example.com'],
    ['jane.doe+mfa@mail.example.co.uk', 'j***@mail.example.co.uk'],
    ['no-at-sign', '***'],
  ])('%s → %s', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it('never reveals more than one character of the local part', () => {
    expect(maskEmail('secretname@example.com')).not.toContain('ecretname');
  });
});
