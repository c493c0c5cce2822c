import { invalidArgument } from './errors';

// C0 and C1 controls and DEL corrupt logs and terminals and are never part of a real identifier;
// U+FFFD is what undecodable bytes become, so two different byte strings would be one user.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\ufffd]/;
const OPAQUE_ID = /^[A-Za-z0-9_-]+$/;
const MAX_OPAQUE_ID_LENGTH = 64;
const MAX_USER_ID_LENGTH = 255;
const LOCALE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
const MAX_LOCALE_LENGTH = 35;

/** Characters as people (and PostgreSQL's varchar) count them: code points, not UTF-16 units. */
const characterCount = (text: string): number => [...text].length;

/** user_id is the tenant's own identifier: any text, within limits. */
export function assertUserId(userId: string): void {
  if (userId.length < 1 || characterCount(userId) > MAX_USER_ID_LENGTH || CONTROL_CHARACTER.test(userId)) {
    throw invalidArgument('user_id', 'user_id must be 1 to 255 characters without control characters');
  }
}

/** Factor, challenge and similar ids are ours: short, URL-safe. */
export function assertOpaqueId(field: string, id: string): void {
  if (id.length > MAX_OPAQUE_ID_LENGTH || !OPAQUE_ID.test(id)) {
    throw invalidArgument(field, `${field} is malformed`);
  }
}

/** Free text such as a device name: may be empty. */
export function assertOptionalText(field: string, value: string, max: number): void {
  if (characterCount(value) > max || CONTROL_CHARACTER.test(value)) {
    throw invalidArgument(field, `${field} must be at most ${max} characters without control characters`);
  }
}

/** Empty means "the default locale". */
export function assertLocale(locale: string): void {
  if (locale === '') {
    return;
  }
  if (locale.length > MAX_LOCALE_LENGTH || !LOCALE.test(locale)) {
    throw invalidArgument('locale', 'locale must be a language tag such as en or pt-BR');
  }
}
