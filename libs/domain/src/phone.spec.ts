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
    ['+12345678901', 'US', '1'],
  ])('accepts %s (country %s, calling code %s)', (e164, country, callingCode) => {
    expect(parsePhoneNumber(e164)).toEqual({ e164, country, callingCode });
  });

  // Test suites and real users enter fictional numbers; the provider reports them unreachable at
  // send time (the delivery ends FAILED with a reason). A shared calling code (+1, +44) then names
  // no country, which only an empty sms_allowed_countries lets through (see policy.spec.ts).
  it.each([
    ['NANP fictional 555 exchange', '+15555555555', undefined, '1'],
    ['NANP 555 number', '+15551234567', undefined, '1'],
    ['NANP 555-01xx', '+15550100000', undefined, '1'],
    ['NANP area code starting with 1', '+11234567890', undefined, '1'],
    ['NANP area code 000', '+10000000000', undefined, '1'],
    ['Ofcom drama range', '+447700900123', undefined, '44'],
    ['unassigned range of a one-country calling code', '+34555555555', 'ES', '34'],
  ])('accepts a well-formed but unassigned number: %s (%s)', (_label, e164, country, callingCode) => {
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
    ['far too short', '+1234'],
    ['too long for E.164', '+1234567890123456'],
    ['too long for E.164 (16 digits, valid-looking start)', '+4915112345678901'],
    ['surrounding whitespace', ' +14155550123'],
    ['trailing newline', '+14155550123\n'],
    ['letters', '+1415555CALL'],
    ['no plus, E.164 digits', '14155550123'],
    ['no plus, fictional number', '15555555555'],
    ['spaces in a fictional number', '+1 555 555 5555'],
    ['empty', ''],
    ['plus only', '+'],
    ['one digit short for the NANP', '+1415555012'],
    ['one digit long for the NANP', '+141555501234'],
    ['one digit short for a fictional NANP number', '+1555555555'],
    ['a length the UK never uses', '+4477009001'],
    ['too short for France', '+3390000000'],
    ['national trunk 0 after the calling code', '+4900000000000'],
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
