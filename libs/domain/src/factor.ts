export type FactorType = 'TOTP' | 'SMS' | 'VOICE' | 'EMAIL' | 'PUSH' | 'DUO';

export const FACTOR_TYPES: readonly FactorType[] = Object.freeze([
  'TOTP',
  'SMS',
  'VOICE',
  'EMAIL',
  'PUSH',
  'DUO',
]);

export function isFactorType(value: string): value is FactorType {
  return (FACTOR_TYPES as readonly string[]).includes(value);
}

export type FactorStatus = 'PENDING' | 'ACTIVE' | 'FAILED';

/** Factors whose code we send through a provider (and which therefore have a delivery). */
export type OutOfBandFactorType = 'SMS' | 'VOICE' | 'EMAIL';

export function isOutOfBand(type: FactorType): type is OutOfBandFactorType {
  return type === 'SMS' || type === 'VOICE' || type === 'EMAIL';
}

/** Factors bound to a phone number, and so subject to `sms_allowed_countries`. */
export function usesPhoneNumber(type: FactorType): boolean {
  return type === 'SMS' || type === 'VOICE';
}
