import { describe, expect, it } from '@jest/globals';
import { DomainError, DomainErrorCode } from './errors';
import { maskPhoneNumber, parsePhoneNumber } from './phone';

describe('parsePhoneNumber', () => {
  it.each([
    ['+14155550123', 'US', '1'],
    ['+16135550123', 'CA', '1'],
    ['+4915112345678', 'DE', '49'],
    ['+442071838750', 'GB', '44'],
    ['+33612345678', 'FR', '33'],
    ['+61412345678', 'AU', '61'],
    ['+8613812345678', 'CN', '86'],
    ['+6837001', 'NU', '683'],
    ['+80012345678', undefined, '800'],
  ])('accepts %s (country %s, calling code %s)', (e164, country, callingCode) => {
    expect(parsePhoneNumber(e164)).toEqual({ e164, country, callingCode });
  });

  it.each([
    ['national format', '4155550123'],
    ['spaces', '+1 415 555 0123'],
    ['dashes', '+1-415-555-0123'],
    ['parentheses', '+1 (415) 5550123'],
    ['00 prefix', '0014155550123'],
    ['leading zero after +', '+04155550123'],
    ['too short for E.164', '+123456'],
    ['too long for E.164', '+1234567890123456'],
    ['surrounding whitespace', ' +14155550123'],
    ['trailing newline', '+14155550123\n'],
    ['letters', '+1415555CALL'],
    ['empty', ''],
    ['plus only', '+'],
    ['E.164-shaped but not a real number', '+10000000000'],
    ['one digit short for the US', '+1415555012'],
    ['one digit long for the US', '+141555501234'],
    ['unassigned calling code', '+999123456789'],
    ['full-width digits', '+１４１５５５５０１２３'],
  ])('rejects %s without echoing the input', (_label, value) => {
    let thrown: unknown;
    try {
      parsePhoneNumber(value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    const error = thrown as DomainError;
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe('phone_number');
    expect(error.message).toBe('phone number must be in E.164 format, e.g. +14155550123');
  });
});

describe('maskPhoneNumber', () => {
  it.each([
    ['+14155550123', '+1 *** *** 0123'],
    ['+4915112345678', '+49 *** *** 5678'],
    ['+442071838750', '+44 *** *** 8750'],
    ['+8613812345678', '+86 *** *** 5678'],
    ['+80012345678', '+800 *** *** 5678'],
  ])('%s → %s', (e164, masked) => {
    expect(maskPhoneNumber(e164)).toBe(masked);
  });

  it.each([
    ['+6837001', '+683 *** *** 01'],
    ['+29022222', '+290 *** *** 22'],
    ['+3545511234', '+354 *** *** 234'],
    // libphonenumber's national form of San Marino numbers adds 0549: half of it would be 4 of these 6 digits.
    ['+378900000', '+378 *** *** 000'],
  ])('keeps at least half of a short national number hidden: %s → %s', (e164, masked) => {
    expect(maskPhoneNumber(e164)).toBe(masked);
  });

  it.each([['not a number'], ['4155550123'], [''], ['+999123456789']])(
    'reveals nothing of input it cannot parse (%j)',
    (value) => {
      expect(maskPhoneNumber(value)).toBe('***');
    },
  );

  it('never contains more than the calling code and the last four digits', () => {
    const masked = maskPhoneNumber('+14155550123');
    expect(masked.replace(/\D/g, '')).toBe('10123');
  });
});
