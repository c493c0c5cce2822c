import { describe, expect, it } from '@jest/globals';
import {
  assertCodeShape,
  formatRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_ALPHABET,
  RECOVERY_CODE_COUNT,
  recoveryCodeFromBytes,
  TOTP_ALGORITHM,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  TOTP_WINDOW_STEPS,
} from './codes';
import { DomainError, DomainErrorCode } from './errors';

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

describe('TOTP parameters', () => {
  it('are the RFC 6238 defaults of the API: SHA1, 6 digits, 30 s', () => {
    expect([TOTP_ALGORITHM, TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS]).toEqual(['SHA1', 6, 30, 1]);
  });
});

describe('assertCodeShape', () => {
  it.each([
    ['123456', 6],
    ['000000', 6],
    ['1234567', 7],
    ['12345678', 8],
  ])('accepts %j for %d digits', (code, digits) => {
    expect(() => assertCodeShape(code, digits)).not.toThrow();
  });

  it.each([
    ['12345', 6],
    ['1234567', 6],
    ['123456', 8],
    ['', 6],
    ['12345a', 6],
    ['12 345', 6],
    [' 123456', 6],
    ['123456\n', 6],
    ['-12345', 6],
    ['1.2345', 6],
    ['１２３４５６', 6],
    ['١٢٣٤٥٦', 6],
  ])('rejects %j for %d digits without echoing it', (code, digits) => {
    const error = rejection(() => assertCodeShape(code, digits));
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe('code');
    expect(error.message).toBe(`code must be ${digits} digits`);
  });
});

describe('recovery code constants', () => {
  it('issues ten codes per set', () => {
    expect(RECOVERY_CODE_COUNT).toBe(10);
  });

  it('uses the 32 Crockford base32 symbols, without I, L, O or U', () => {
    expect(RECOVERY_CODE_ALPHABET).toHaveLength(32);
    expect(new Set(RECOVERY_CODE_ALPHABET).size).toBe(32);
    expect(RECOVERY_CODE_ALPHABET).not.toMatch(/[ILOU]/);
  });
});

describe('formatRecoveryCode', () => {
  it.each([
    ['ABCD1234EFGH5678', 'ABCD-1234-EFGH-5678'],
    ['0000000000000000', '0000-0000-0000-0000'],
    ['ZZZZZZZZZZZZZZZZ', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ'],
  ])('%s → %s', (raw, formatted) => {
    expect(formatRecoveryCode(raw)).toBe(formatted);
  });

  it.each([['ABCD1234EFGH567'], ['ABCD1234EFGH56789'], ['abcd1234efgh5678'], ['ABCD1234EFGH567U'], ['ABCD-1234-EFGH-5678']])(
    'refuses %j, which is not a raw code',
    (raw) => {
      expect(rejection(() => formatRecoveryCode(raw)).code).toBe(DomainErrorCode.Internal);
    },
  );
});

describe('normalizeRecoveryCode', () => {
  it.each([
    ['ABCD-1234-EFGH-5678', 'ABCD1234EFGH5678'],
    ['ABCD1234EFGH5678', 'ABCD1234EFGH5678'],
    ['abcd-1234-efgh-5678', 'ABCD1234EFGH5678'],
    ['abcd 1234 efgh 5678', 'ABCD1234EFGH5678'],
    ['  ABCD--1234 - EFGH-5678  ', 'ABCD1234EFGH5678'],
    ['OOOO-oooo-0000-0000', '0000000000000000'],
    ['IIII-iiii-LLLL-llll', '1111111111111111'],
    ['ZZZZ-ZZZZ-ZZZZ-ZZZZ', 'ZZZZZZZZZZZZZZZZ'],
  ])('%j → %s', (input, raw) => {
    expect(normalizeRecoveryCode(input)).toBe(raw);
  });

  it('accepts input of exactly 64 characters', () => {
    const input = `${' '.repeat(48)}ABCD1234EFGH5678`;
    expect(input).toHaveLength(64);
    expect(normalizeRecoveryCode(input)).toBe('ABCD1234EFGH5678');
  });

  it.each([
    ['too short', 'ABCD-1234-EFGH-567'],
    ['too long', 'ABCD-1234-EFGH-56789'],
    ['U is not in the alphabet', 'ABCD-1234-EFGH-567U'],
    ['punctuation', 'ABCD_1234_EFGH_5678'],
    ['tab separator', 'ABCD\t1234\tEFGH\t5678'],
    ['non-ASCII letter', 'ÄBCD-1234-EFGH-5678'],
    ['empty', ''],
    ['a TOTP code', '123456'],
    ['over 64 characters, even if it would normalize', `${' '.repeat(49)}ABCD1234EFGH5678`],
  ])('rejects %s', (_label, input) => {
    const error = rejection(() => normalizeRecoveryCode(input));
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe('code');
    expect(error.message).toBe('recovery code must look like XXXX-XXXX-XXXX-XXXX');
  });

  it('round-trips a formatted code', () => {
    expect(normalizeRecoveryCode(formatRecoveryCode('VTPVXVR024H36H2N'))).toBe('VTPVXVR024H36H2N');
  });
});

describe('recoveryCodeFromBytes', () => {
  it.each([
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0], '0000000000000000'],
    [[255, 255, 255, 255, 255, 255, 255, 255, 255, 255], 'ZZZZZZZZZZZZZZZZ'],
    [[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'G000000000000000'],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '0000000000000001'],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], '041061050R3GG28A'],
    [[0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55], 'VTPVXVR024H36H2N'],
  ])('encodes %j big-endian, 5 bits a character, as %s', (bytes, raw) => {
    expect(recoveryCodeFromBytes(Uint8Array.from(bytes))).toBe(raw);
  });

  it('matches a BigInt reference encoding on many byte patterns', () => {
    for (let seed = 0; seed < 256; seed += 1) {
      const bytes = Uint8Array.from({ length: 10 }, (_, i) => (seed * 31 + i * 97 + ((seed * i) % 251)) & 0xff);
      const value = bytes.reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
      const expected = Array.from({ length: 16 }, (_, i) =>
        RECOVERY_CODE_ALPHABET[Number((value >> BigInt(75 - 5 * i)) & 31n)],
      ).join('');
      expect(recoveryCodeFromBytes(bytes)).toBe(expected);
    }
  });

  it('always yields a code that normalizeRecoveryCode accepts unchanged', () => {
    const raw = recoveryCodeFromBytes(Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]));
    expect(normalizeRecoveryCode(formatRecoveryCode(raw))).toBe(raw);
  });

  it.each([[0], [9], [11], [16]])('refuses %d bytes: a code needs exactly 80 bits', (length) => {
    expect(() => recoveryCodeFromBytes(new Uint8Array(length))).toThrow(DomainError);
  });
});
