import { maskEmail } from './email';
import { maskPhoneNumber } from './phone';

// Anything around an @ with a dot after it, as people write addresses in labels.
const EMAIL_ADDRESS = /[^\s@<>()"',;]+@[^\s@<>()"',;]+\.[^\s@<>()"',;]+/g;
// Seven or more digits, maybe grouped as people write numbers ("+1 415 555-0123", "(415) 5550123").
const PHONE_LIKE = /\+?\(?\d(?:[\d\s().-]*\d){6,}/g;

/** "+1 415 555-0123" and "4155550123" → masked like an E.164 number where one parses, else all but the last 2 digits hidden. */
function maskDigits(run: string): string {
  const digits = run.replace(/\D/g, '');
  const asE164 = run.startsWith('+') ? maskPhoneNumber(`+${digits}`) : '***';
  return asE164 !== '***' ? asE164 : `*** ${digits.slice(-2)}`;
}

/**
 * Free text shown as a factor's display (a TOTP label, a device name, a user_id standing in for
 * one) with every e-mail address and phone number in it masked: `Factor.display` never holds
 * either in full, whatever the caller chose as a label.
 */
export function maskContactDetails(text: string): string {
  return text.replace(EMAIL_ADDRESS, (address) => maskEmail(address)).replace(PHONE_LIKE, maskDigits);
}
