import { maskEmail } from './email';
import { maskPhoneNumber } from './phone';

// Anything around an @ with a dot after it, as people write addresses in labels. Tried only where
// such a run begins: tried at every character of a long run without an @, it took quadratic time.
const EMAIL_ADDRESS = /(?<![^\s@<>()"',;])[^\s@<>()"',;]+@[^\s@<>()"',;]+\.[^\s@<>()"',;]+/g;

// A phone number can be glued to anything ("sms_4155550123", "Mobile4155550123", "4155550123ext"),
// so every run of seven or more digits is masked, wherever it stands. The shapes below are left
// alone because they are clearly something else; each is matched whole, at its own start, before
// a phone number is looked for there.
//
// What a token is made of; "_" and "-" separate tokens ("fac_64b3637100", "u-64b3637100").
const ALNUM = String.raw`[\p{L}\p{M}\p{N}]`;
// Dates have eight digits but are not phone numbers: ISO 8601 ("2026-12-07", maybe with a time
// whose fraction of a second has at most 9 digits) and the dotted day-first form ("07.12.2026").
// Not when more digits follow: "2026-12-07 10:00:00.4155550123" is a date and a number.
const DATE =
  String.raw`(?<!\d)(?:[12]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])` +
  String.raw`(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?` +
  String.raw`|(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.[12]\d{3})(?![-.,:]?\d)`;
const HEX = String.raw`[\da-fA-F]`;
// Whole, so that an all-digit last group ("…-446655440000") stays with it.
const UUID = String.raw`(?<!${ALNUM})${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}(?!${ALNUM})`;
// A whole token of 8 or more hex characters, with a digit and a letter a-f in one case
// ("64b3637100", "deadbeef12345678", "DEADBEEF12345678"). A letter outside a-f, or mixed case,
// makes it a word with a number glued on ("Mobile4155550123", "4155550123ext", "Cafe4155550123").
// The price: a number glued to a lower-case word spelled with a-f only ("bad4155550123") is shown.
const HEX_ID =
  String.raw`(?<!${ALNUM})(?:(?=[\da-f]*[a-f])(?=[a-f]*\d)[\da-f]{8,}|(?=[\dA-F]*[A-F])(?=[A-F]*\d)[\dA-F]{8,})(?!${ALNUM})`;
// A Unix time in seconds or milliseconds (2017–2033) as the end of an identifier
// ("user-1733600000000", "user_1733600000", "e2e-user-1733600000000-3"): only right after a word
// and maybe a - or _. On its own, or after "+", it is masked like any number.
const EPOCH = String.raw`(?<=\p{L}|\p{M}|${ALNUM}[-_])1[5-9](?:\d{11}|\d{8})(?!\d)`;
// Sixteen digits or more in one piece: longer than any E.164 number ("12345678901234567890").
const LONG_RUN = String.raw`(?<![\d+])\d{16,}`;
// Phone numbers as people write them: seven or more digits, maybe grouped ("415 555-0123",
// "(415) 5550123"). Each repetition takes exactly one digit, so a run backtracks in linear time.
// One that starts with "+" takes every group that follows; one without stops before a group that
// is one of the shapes above ("iPhone 15 2026-12-07" is a model and a date, not 10 digits).
const SEPARATORS = String.raw`[\s().-]`;
const GROUPED_NUMBER = String.raw`\+\(?\d(?:${SEPARATORS}*\d){6,}`;
const NUMBER = String.raw`(?<!\d)\(?\d(?:(?:${SEPARATORS}+(?!\d{16}|${DATE}|${UUID}|${HEX_ID}))?\d){6,}`;
/** Group 1: a shape left as it is; otherwise a phone number to mask. */
const EXEMPT_OR_PHONE = new RegExp(
  `(${DATE}|${UUID}|${HEX_ID}|${EPOCH}|${LONG_RUN})|${GROUPED_NUMBER}|${NUMBER}`,
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
 * either in full, whatever the caller chose as a label. Left readable: dates, UUIDs, hex ids,
 * Unix times ending an identifier, and digit runs longer than any phone number.
 */
export function maskContactDetails(text: string): string {
  return text
    .replace(EMAIL_ADDRESS, (address) => maskEmail(address))
    .replace(EXEMPT_OR_PHONE, (run: string, exempt: string | undefined) => (exempt === undefined ? maskDigits(run) : run));
}
