import { describe, expect, it } from '@jest/globals';
import { DomainError, DomainErrorCode } from './errors';
import { parsePhoneNumber } from './phone';
import {
  DEFAULT_POLICY,
  isCountryAllowed,
  isFactorTypeAllowed,
  normalizePolicy,
  type Policy,
  type PolicyInput,
} from './policy';

const ALL_ZERO: PolicyInput = {
  mfaRequired: false,
  allowedFactorTypes: [],
  otpLength: 0,
  otpTtlSeconds: 0,
  maxVerifyAttempts: 0,
  numberMatching: true,
  smsAllowedCountries: [],
  lockoutThreshold: 0,
  lockoutSeconds: 0,
};

function input(overrides: Partial<PolicyInput>): PolicyInput {
  return { ...ALL_ZERO, ...overrides };
}

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

describe('DEFAULT_POLICY', () => {
  it('holds the documented defaults', () => {
    expect(DEFAULT_POLICY).toEqual({
      mfaRequired: false,
      allowedFactorTypes: [],
      otpLength: 6,
      otpTtlSeconds: 300,
      maxVerifyAttempts: 5,
      numberMatching: true,
      smsAllowedCountries: [],
      lockoutThreshold: 10,
      lockoutSeconds: 900,
    });
  });

  it('cannot be changed at run time, lists included', () => {
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY.allowedFactorTypes)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY.smsAllowedCountries)).toBe(true);
  });
});

describe('normalizePolicy', () => {
  it('turns every numeric 0 into its default', () => {
    expect(normalizePolicy(ALL_ZERO)).toEqual(DEFAULT_POLICY);
  });

  it('returns fresh lists, never the frozen default ones', () => {
    const policy = normalizePolicy(ALL_ZERO);
    expect(policy.allowedFactorTypes).not.toBe(DEFAULT_POLICY.allowedFactorTypes);
    policy.smsAllowedCountries.push('US');
    expect(DEFAULT_POLICY.smsAllowedCountries).toEqual([]);
  });

  it('keeps the booleans as given', () => {
    const policy = normalizePolicy(input({ mfaRequired: true, numberMatching: false }));
    expect(policy.mfaRequired).toBe(true);
    expect(policy.numberMatching).toBe(false);
  });

  type NumericField = 'otpLength' | 'otpTtlSeconds' | 'maxVerifyAttempts' | 'lockoutThreshold' | 'lockoutSeconds';
  const bounds: Array<[NumericField, string, number, number]> = [
    ['otpLength', 'otp_length', 6, 8],
    ['otpTtlSeconds', 'otp_ttl_seconds', 1, 86_400],
    ['maxVerifyAttempts', 'max_verify_attempts', 1, 100],
    ['lockoutThreshold', 'lockout_threshold', 1, 10_000],
    ['lockoutSeconds', 'lockout_seconds', 1, 31_536_000],
  ];

  const accepted = bounds.flatMap(([key, , min, max]) => [
    [key, min],
    [key, max],
    [key, Math.floor((min + max) / 2)],
  ] as Array<[NumericField, number]>);

  it.each(accepted)('accepts %s = %d', (key, value) => {
    expect(normalizePolicy(input({ [key]: value }))[key]).toBe(value);
  });

  const refused = bounds.flatMap(([key, field, min, max]) => [
    [key, field, min - 1],
    [key, field, max + 1],
    [key, field, -1],
    [key, field, min + 0.5],
    [key, field, Number.NaN],
  ] as Array<[NumericField, string, number]>).filter(([, , value]) => value !== 0);

  it.each(refused)('rejects %s = %d, naming the field %s', (key, field, value) => {
    const error = rejection(() => normalizePolicy(input({ [key]: value })));
    expect(error.code).toBe(DomainErrorCode.InvalidArgument);
    expect(error.details.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it.each([
    [['SMS'], ['SMS']],
    [['TOTP', 'PUSH', 'TOTP'], ['TOTP', 'PUSH']],
    [['DUO', 'EMAIL', 'VOICE', 'SMS', 'PUSH', 'TOTP'], ['DUO', 'EMAIL', 'VOICE', 'SMS', 'PUSH', 'TOTP']],
    [[], []],
  ])('allowed_factor_types %j → %j (deduplicated, order kept)', (raw, expected) => {
    expect(normalizePolicy(input({ allowedFactorTypes: raw })).allowedFactorTypes).toEqual(expected);
  });

  it.each([[['sms']], [['SMS', 'FAX']], [['']], [['FACTOR_TYPE_SMS']]])(
    'rejects allowed_factor_types %j',
    (raw) => {
      const error = rejection(() => normalizePolicy(input({ allowedFactorTypes: raw })));
      expect(error.code).toBe(DomainErrorCode.InvalidArgument);
      expect(error.details.field).toBe('allowed_factor_types');
    },
  );

  it('rejects more than 300 allowed_factor_types entries', () => {
    const error = rejection(() => normalizePolicy(input({ allowedFactorTypes: Array(301).fill('SMS') })));
    expect(error.details.field).toBe('allowed_factor_types');
  });

  it.each([
    [['US'], ['US']],
    [['de', 'US', 'fr'], ['DE', 'FR', 'US']],
    [['gb', 'GB', 'Gb'], ['GB']],
    [[], []],
  ])('sms_allowed_countries %j → %j (upper case, deduplicated, sorted)', (raw, expected) => {
    expect(normalizePolicy(input({ smsAllowedCountries: raw })).smsAllowedCountries).toEqual(expected);
  });

  it.each([[['USA']], [['U']], [['']], [['U1']], [[' US']], [['US ']], [['ÜS']], [['ß']], [['US', '12']], [['XX']], [['ZZ']], [['de', 'QQ']]])(
    'rejects sms_allowed_countries %j',
    (raw) => {
      const error = rejection(() => normalizePolicy(input({ smsAllowedCountries: raw })));
      expect(error.code).toBe(DomainErrorCode.InvalidArgument);
      expect(error.details.field).toBe('sms_allowed_countries');
    },
  );

  it('reads back a stored allow-list with a code no longer accepted, unchanged', () => {
    expect(normalizePolicy(input({ smsAllowedCountries: ['XX'] }), 'stored').smsAllowedCountries).toEqual(['XX']);
  });

  it('accepts exactly 300 sms_allowed_countries entries and rejects 301', () => {
    expect(normalizePolicy(input({ smsAllowedCountries: Array(300).fill('US') })).smsAllowedCountries).toEqual(['US']);
    const error = rejection(() => normalizePolicy(input({ smsAllowedCountries: Array(301).fill('US') })));
    expect(error.details.field).toBe('sms_allowed_countries');
  });
});

describe('isFactorTypeAllowed', () => {
  const everything: Policy = { ...DEFAULT_POLICY, allowedFactorTypes: [] };
  const totpAndPush: Policy = { ...DEFAULT_POLICY, allowedFactorTypes: ['TOTP', 'PUSH'] };

  it.each([
    [everything, 'SMS', true],
    [everything, 'DUO', true],
    [totpAndPush, 'TOTP', true],
    [totpAndPush, 'PUSH', true],
    [totpAndPush, 'SMS', false],
    [totpAndPush, 'EMAIL', false],
  ] as const)('policy %j allows %s: %s', (policy, type, expected) => {
    expect(isFactorTypeAllowed(policy, type)).toBe(expected);
  });
});

describe('isCountryAllowed', () => {
  const anywhere: Policy = { ...DEFAULT_POLICY, smsAllowedCountries: [] };
  const usAndCanada: Policy = { ...DEFAULT_POLICY, smsAllowedCountries: ['CA', 'US'] };

  it.each([
    [anywhere, 'US', true],
    [anywhere, undefined, true],
    [usAndCanada, 'US', true],
    [usAndCanada, 'CA', true],
    [usAndCanada, 'us', true],
    [usAndCanada, 'DE', false],
    [usAndCanada, undefined, false],
  ] as const)('policy %j allows country %s: %s', (policy, country, expected) => {
    expect(isCountryAllowed(policy, country)).toBe(expected);
  });

  // Toll-fraud defence fails closed: a well-formed number that names no country (a fictional or
  // unassigned range of a shared calling code, a non-geographic +800) passes only an empty list.
  const uk: Policy = { ...DEFAULT_POLICY, smsAllowedCountries: ['GB'] };
  it.each([
    ['+15555555555', anywhere, true],
    ['+15555555555', usAndCanada, false],
    ['+15551234567', usAndCanada, false],
    ['+11234567890', usAndCanada, false],
    ['+447700900123', anywhere, true],
    ['+447700900123', uk, false],
    ['+80012345678', anywhere, true],
    ['+80012345678', usAndCanada, false],
    ['+14155550123', usAndCanada, true],
    ['+442071838750', uk, true],
  ] as const)('number %s under policy %j is allowed: %s', (e164, policy, expected) => {
    expect(isCountryAllowed(policy, parsePhoneNumber(e164).country)).toBe(expected);
  });
});
