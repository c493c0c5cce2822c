import { failedPrecondition, isCountryAllowed, maskEmail, maskPhoneNumber, normalizeEmail, parsePhoneNumber, type OutOfBandFactorType, type Policy } from '@mfa/domain';

/** Where an out-of-band factor's codes go, validated and normalised. */
export interface Destination {
  /** E.164 number or e-mail address, as stored (encrypted) and delivered to. */
  address: string;
  /** ISO 3166 country of a phone number. */
  country: string | undefined;
  /** Masked for display: never the full number or address. */
  display: string;
}

export function phoneDestination(phoneNumber: string): Destination {
  const phone = parsePhoneNumber(phoneNumber);
  return { address: phone.e164, country: phone.country, display: maskPhoneNumber(phone.e164) };
}

export function emailDestination(email: string): Destination {
  const address = normalizeEmail(email);
  return { address, country: undefined, display: maskEmail(address) };
}

/** The form duplicates are compared in: addresses differ only by case are the same inbox. */
export const destinationIdentity = (address: string): string => address.toLowerCase();

/** `sms_allowed_countries` (toll-fraud defence) applies to SMS and voice, at enrollment and at every challenge. */
export function assertCountryAllowed(policy: Policy, type: OutOfBandFactorType, destination: Destination): void {
  if (type === 'EMAIL') return;
  if (!isCountryAllowed(policy, destination.country)) {
    throw failedPrecondition(`${type === 'SMS' ? 'SMS' : 'voice calls'} to this country are not allowed by the tenant policy`);
  }
}
