import { describe, expect, it } from '@jest/globals';
import { DomainError, DomainErrorCode } from './errors';
import { assertLocale, assertOpaqueId, assertOptionalText, assertUserId } from './identifiers';

function rejection(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('assertUserId', () => {
  it.each([
    ['one character', 'u'],
    ['255 characters', 'u'.repeat(255)],
    ['an e-mail-like id', 'jane@example.com'],
    ['spaces and punctuation', 'Jane Doe / 42'],
    ['non-ASCII', 'José-Ñandú-用户'],
    ['emoji', 'user-🔐'],
    ['255 emoji (510 UTF-16 units)', '😀'.repeat(255)],
    ['a Unicode line separator (not a C0 control)', 'a\u2028b'],
  ])('accepts %s', (_label, userId) => {
    expect(() => assertUserId(userId)).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'u'.repeat(256)],
    ['256 emoji', '😀'.repeat(256)],
    ['NUL', 'user\u0000'],
    ['newline', 'user\n1'],
    ['tab', 'user\t1'],
    ['escape', '\u001b[31muser'],
    ['unit separator U+001F', 'user\u001f'],
    ['DEL', 'user\u007f'],
  ])('rejects %s', (_label, userId) => {
    const error = rejection(() => assertUserId(userId));
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe('user_id');
    expect(error.message).toBe('user_id must be 1 to 255 characters without control characters');
  });
});

describe('assertOpaqueId', () => {
  it.each([['a'], ['0'], ['fct_01HZX3ABCD'], ['chl-2b4c'], ['A_b-C'], ['x'.repeat(64)]])('accepts %j', (id) => {
    expect(() => assertOpaqueId('factor_id', id)).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'x'.repeat(65)],
    ['a slash', 'fct/1'],
    ['a dot', 'fct.1'],
    ['a space', 'fct 1'],
    ['a trailing newline', 'fct1\n'],
    ['non-ASCII', 'fçt1'],
    ['a percent-encoding', 'fct%201'],
  ])('rejects %s, naming the field', (_label, id) => {
    const error = rejection(() => assertOpaqueId('challenge_id', id));
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe('challenge_id');
    expect(error.message).toBe('challenge_id is malformed');
  });
});

describe('assertOptionalText', () => {
  it.each([
    ['empty', '', 10],
    ['exactly max', 'x'.repeat(10), 10],
    ['unicode', 'Jane’s iPhone', 20],
  ])('accepts %s', (_label, value, max) => {
    expect(() => assertOptionalText('device_name', value, max)).not.toThrow();
  });

  it.each([
    ['one over max', 'x'.repeat(11), 10],
    ['a newline', 'Jane\nPhone', 20],
    ['NUL', 'Jane\u0000', 20],
    ['DEL', 'Jane\u007f', 20],
  ])('rejects %s, naming the field', (_label, value, max) => {
    const error = rejection(() => assertOptionalText('device_name', value, max));
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe('device_name');
  });
});

describe('assertLocale', () => {
  it.each([[''], ['en'], ['pt-BR'], ['zh-Hant-TW'], ['deu'], ['es-419'], ['sr-Latn-RS'], ['de-CH-1996'], [`en${'-abcdefgh'.repeat(3)}-abcde`]])(
    'accepts %j',
    (locale) => {
      expect(() => assertLocale(locale)).not.toThrow();
    },
  );

  it('allows 35 characters and not 36', () => {
    expect(`en${'-abcdefgh'.repeat(3)}-abcde`).toHaveLength(35);
    expect(`en${'-abcdefgh'.repeat(3)}-abcdef`).toHaveLength(36);
  });

  it.each([
    ['one-letter language', 'e'],
    ['four-letter language', 'engl'],
    ['underscore', 'en_US'],
    ['trailing dash', 'en-'],
    ['one-character subtag', 'en-U'],
    ['nine-character subtag', 'en-abcdefghi'],
    ['digit language', '12'],
    ['space', 'en US'],
    ['36 characters', `en${'-abcdefgh'.repeat(3)}-abcdef`],
  ])('rejects %s', (_label, locale) => {
    const error = rejection(() => assertLocale(locale));
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe('locale');
  });
});

describe('identifiers refuse what would corrupt logs or merge users', () => {
  it.each([
    ['a C1 control (CSI)', 'user\u009b31m'],
    ['the replacement character left by invalid UTF-8', 'us\ufffder'],
  ])('assertUserId refuses %s', (_name, value) => {
    expect(() => assertUserId(value)).toThrow(DomainError);
  });
});
