import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { invalidArgument } from './errors';

export interface PhoneNumber {
  /** "+14155550123" */
  e164: string;
  /**
   * ISO 3166 alpha-2 ("US"); undefined for non-geographic numbers such as +800, and for numbers
   * of a shared calling code that fit no assigned range (+1 555…): `sms_allowed_countries` lets
   * those through only when it is empty.
   */
  country: string | undefined;
  /** "1", "49" */
  callingCode: string;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const PHONE_FORMAT_MESSAGE = 'phone number must be in E.164 format, e.g. +14155550123';

/**
 * Strict about the form: only E.164 as stored and dialled; no spaces, no national formats, and a
 * length that fits the calling code. Lenient about assignment: a number in no assigned range
 * (+1 555 01xx, Ofcom's drama ranges) is well-formed; the provider reports it unreachable at send
 * time, which ends the delivery FAILED with a reason.
 */
export function parsePhoneNumber(input: string): PhoneNumber {
  const parsed = E164.test(input) ? parsePhoneNumberFromString(input) : undefined;
  if (parsed === undefined || !parsed.isPossible() || parsed.number !== input) {
    // The message never echoes the input: it would put a phone number in logs and responses.
    throw invalidArgument('phone_number', PHONE_FORMAT_MESSAGE);
  }
  return { e164: parsed.number, country: parsed.country, callingCode: parsed.countryCallingCode };
}

/**
 * "+14155550123" → "+1 *** *** 0123". Shows the calling code and the last 4 digits at most;
 * fewer on very short numbers, so that at least half of the national number stays hidden.
 */
export function maskPhoneNumber(e164: string): string {
  const parsed = E164.test(e164) ? parsePhoneNumberFromString(e164) : undefined;
  if (parsed === undefined) {
    return '***';
  }
  // The digits as given, not libphonenumber's national form: for some countries it adds digits
  // (San Marino's +378 gains 0549), and half of what it returns could be all of what was given.
  const given = e164.slice(1 + parsed.countryCallingCode.length);
  const visible = Math.min(4, Math.floor(given.length / 2));
  return `+${parsed.countryCallingCode} *** *** ${given.slice(given.length - visible)}`;
}
