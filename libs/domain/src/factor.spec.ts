import { describe, expect, it } from '@jest/globals';
import { FACTOR_TYPES, type FactorType, isFactorType, isOutOfBand, usesPhoneNumber } from './factor';

describe('factor types', () => {
  it('lists the six factor types of the API', () => {
    expect([...FACTOR_TYPES]).toEqual(['TOTP', 'SMS', 'VOICE', 'EMAIL', 'PUSH', 'DUO']);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(FACTOR_TYPES)).toBe(true);
  });

  it.each([
    ['TOTP', true],
    ['SMS', true],
    ['VOICE', true],
    ['EMAIL', true],
    ['PUSH', true],
    ['DUO', true],
    ['totp', false],
    ['', false],
    ['FACTOR_TYPE_SMS', false],
    ['WEBAUTHN', false],
    [' SMS', false],
  ])('isFactorType(%j) is %s', (value, expected) => {
    expect(isFactorType(value)).toBe(expected);
  });

  it.each<[FactorType, boolean, boolean]>([
    ['TOTP', false, false],
    ['SMS', true, true],
    ['VOICE', true, true],
    ['EMAIL', true, false],
    ['PUSH', false, false],
    ['DUO', false, false],
  ])('%s: out of band %s, uses a phone number %s', (type, outOfBand, phone) => {
    expect(isOutOfBand(type)).toBe(outOfBand);
    expect(usesPhoneNumber(type)).toBe(phone);
  });
});
