import { getCountries } from 'libphonenumber-js/min';
import { invalidArgument } from './errors';
import { type FactorType, isFactorType } from './factor';

export interface Policy {
  mfaRequired: boolean;
  /** Empty: every factor type is allowed. */
  allowedFactorTypes: FactorType[];
  otpLength: number;
  otpTtlSeconds: number;
  maxVerifyAttempts: number;
  numberMatching: boolean;
  /** ISO 3166 alpha-2, upper case, sorted. Empty: every country is allowed. */
  smsAllowedCountries: string[];
  lockoutThreshold: number;
  lockoutSeconds: number;
}

/** A policy as received from a caller: numeric 0 means "the default", lists are unchecked. */
export interface PolicyInput {
  mfaRequired: boolean;
  allowedFactorTypes: string[];
  otpLength: number;
  otpTtlSeconds: number;
  maxVerifyAttempts: number;
  numberMatching: boolean;
  smsAllowedCountries: string[];
  lockoutThreshold: number;
  lockoutSeconds: number;
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  mfaRequired: false,
  allowedFactorTypes: Object.freeze([]) as unknown as FactorType[],
  otpLength: 6,
  otpTtlSeconds: 300,
  maxVerifyAttempts: 5,
  numberMatching: true,
  smsAllowedCountries: Object.freeze([]) as unknown as string[],
  lockoutThreshold: 10,
  lockoutSeconds: 900,
});

const MAX_LIST_ENTRIES = 300;
// ASCII only: the check runs before upper-casing, which would turn e.g. 'ß' into 'SS'.
const COUNTRY_CODE = /^[A-Za-z]{2}$/;
/** Countries with phone numbers of their own: the only ones a number can be from. */
const PHONE_COUNTRIES: ReadonlySet<string> = new Set(getCountries());

function boundedNumber(
  field: string,
  value: number,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === 0) {
    return fallback;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(field, `${field} must be between ${min} and ${max} (0 for the default)`);
  }
  return value;
}

function checkListSize(field: string, list: readonly string[]): void {
  if (list.length > MAX_LIST_ENTRIES) {
    throw invalidArgument(field, `${field} must have at most ${MAX_LIST_ENTRIES} entries`);
  }
}

function normalizeFactorTypes(raw: readonly string[]): FactorType[] {
  checkListSize('allowed_factor_types', raw);
  const types: FactorType[] = [];
  for (const value of raw) {
    if (!isFactorType(value)) {
      throw invalidArgument('allowed_factor_types', 'allowed_factor_types holds an unknown factor type');
    }
    if (!types.includes(value)) {
      types.push(value);
    }
  }
  return types;
}

function normalizeCountries(raw: readonly string[], origin: PolicyOrigin): string[] {
  checkListSize('sms_allowed_countries', raw);
  const countries = new Set<string>();
  for (const value of raw) {
    // A code no phone number belongs to ("XX", "ZZ") is a typo: it would quietly allow nothing.
    if (!COUNTRY_CODE.test(value) || (origin === 'request' && !PHONE_COUNTRIES.has(value.toUpperCase()))) {
      throw invalidArgument(
        'sms_allowed_countries',
        'sms_allowed_countries must hold ISO 3166 alpha-2 codes, e.g. US',
      );
    }
    countries.add(value.toUpperCase());
  }
  return [...countries].sort();
}

/**
 * A policy from a caller is checked in full. One read back from storage was checked when it was
 * set: a check added since must not make it unreadable (every call of its tenant would fail),
 * nor be "repaired" by dropping entries (an allow-list emptied of its typos allows every country).
 */
export type PolicyOrigin = 'request' | 'stored';

/** Validates a caller's policy and fills in defaults; the result is what gets stored. */
export function normalizePolicy(input: PolicyInput, origin: PolicyOrigin = 'request'): Policy {
  const d = DEFAULT_POLICY;
  return {
    mfaRequired: input.mfaRequired,
    allowedFactorTypes: normalizeFactorTypes(input.allowedFactorTypes),
    otpLength: boundedNumber('otp_length', input.otpLength, d.otpLength, 6, 8),
    otpTtlSeconds: boundedNumber('otp_ttl_seconds', input.otpTtlSeconds, d.otpTtlSeconds, 1, 86_400),
    maxVerifyAttempts: boundedNumber(
      'max_verify_attempts',
      input.maxVerifyAttempts,
      d.maxVerifyAttempts,
      1,
      100,
    ),
    numberMatching: input.numberMatching,
    smsAllowedCountries: normalizeCountries(input.smsAllowedCountries, origin),
    lockoutThreshold: boundedNumber(
      'lockout_threshold',
      input.lockoutThreshold,
      d.lockoutThreshold,
      1,
      10_000,
    ),
    lockoutSeconds: boundedNumber(
      'lockout_seconds',
      input.lockoutSeconds,
      d.lockoutSeconds,
      1,
      31_536_000,
    ),
  };
}

export function isFactorTypeAllowed(policy: Policy, type: FactorType): boolean {
  return policy.allowedFactorTypes.length === 0 || policy.allowedFactorTypes.includes(type);
}

/** A number whose country is unknown (e.g. non-geographic) passes only an empty allow-list. */
export function isCountryAllowed(policy: Policy, country: string | undefined): boolean {
  if (policy.smsAllowedCountries.length === 0) {
    return true;
  }
  return country !== undefined && policy.smsAllowedCountries.includes(country.toUpperCase());
}
