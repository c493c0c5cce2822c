import { failedPrecondition, invalidArgument, isCountryAllowed, maskEmail, maskPhoneNumber, normalizeEmail, parsePhoneNumber, type OutOfBandFactorType, type Policy } from '@mfa/domain';

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

const DUO_USERNAME_MAX = 100;

/** A Duo username: shown masked, since it is often an e-mail address. */
export function duoDestination(username: string): Destination {
  if (username.length === 0 || username.length > DUO_USERNAME_MAX || /[\u0000-\u001f\u007f]/.test(username) || username.trim() !== username) {
    throw invalidArgument('duo_username', `duo_username must be 1 to ${DUO_USERNAME_MAX} characters without control characters or surrounding spaces`);
  }
  const display = username.includes('@') ? maskEmail(username) : `${username.slice(0, 2)}***`;
  return { address: username, country: undefined, display: `Duo ${display}` };
}
