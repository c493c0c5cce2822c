import { maskEmail } from './email';
import { maskPhoneNumber } from './phone';

// Anything around an @ with a dot after it, as people write addresses in labels.
const EMAIL_ADDRESS = /[^\s@<>()"',;]+@[^\s@<>()"',;]+\.[^\s@<>()"',;]+/g;

// What identifiers are made of. Digits glued to one of these, to one and a - or _, or to a digit
// and a dot are part of an id or a version ("user-1733600000000", "u-64b3637100", a UUID's last
// group, "v1.2345678"), not a number someone dials. A letter and a dot end an abbreviation
// ("Tel.4155550123"): what follows is masked.
const WORD = String.raw`[\p{L}\p{M}\p{N}_]`;
const GLUED = String.raw`${WORD}|${WORD}[-_]|\d\.`;
// Seven or more digits, maybe grouped as people write numbers ("415 555-0123", "(415) 5550123").
// Each repetition takes exactly one digit: a run that is then refused backtracks in linear time.
const DIGIT_RUN = String.raw`\(?\d(?:[\s().-]*\d){6,}`;
// Dates have eight digits but are never phone numbers: ISO 8601 ("2026-12-07", maybe with a time)
// and the dotted day-first form ("07.12.2026").
const DATE =
  String.raw`(?:[12]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])` +
  String.raw`(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?` +
  String.raw`|(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.[12]\d{3})(?!\d|[-.]\d)`;
/**
 * A date (group 1, left as it is), or a phone number as people write one: a run that starts with
 * "+" wherever it stands, or one that stands on its own (start of text, after a space or
 * punctuation) and is not followed by a letter.
 */
const DATE_OR_PHONE = new RegExp(
  `(${DATE})|\\+${DIGIT_RUN}|(?<!${GLUED})${DIGIT_RUN}(?!${WORD})`,
  'gu',
);

/** "+1 415 555-0123" and "4155550123" → masked like an E.164 number where one parses, else all but the last 2 digits hidden. */
function maskDigits(run: string): string {
  const digits = run.replace(/\D/g, '');
  const asE164 = run.startsWith('+') ? maskPhoneNumber(`+${digits}`) : '***';
  return asE164 !== '***' ? asE164 : `*** ${digits.slice(-2)}`;
}

/**
 * Free text shown as a factor's display (a TOTP label, a device name, a user_id standing in for
 * one) with every e-mail address and phone number in it masked: `Factor.display` never holds
 * either in full, whatever the caller chose as a label. Digits that belong to an identifier or a
 * date are left alone.
 */
export function maskContactDetails(text: string): string {
  return text
    .replace(EMAIL_ADDRESS, (address) => maskEmail(address))
    .replace(DATE_OR_PHONE, (run: string, date: string | undefined) => (date === undefined ? maskDigits(run) : run));
}
