import { invalidArgument } from './errors';

const MAX_ADDRESS_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
// RFC 5322 dot-atom: atext runs separated by single dots (no leading, trailing or double dot).
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TOP_LEVEL_DOMAIN = /^(?:[A-Za-z]{2,}|xn--[A-Za-z0-9-]+)$/;
const EMAIL_FORMAT_MESSAGE = 'email must be a valid address, e.g. jane@example.com';

function isValidDomain(domain: string): boolean {
  const labels = domain.split('.');
  return (
    labels.length >= 2 &&
    labels.every((label) => DOMAIN_LABEL.test(label)) &&
    TOP_LEVEL_DOMAIN.test(labels[labels.length - 1] ?? '')
  );
}

/**
 * Validates an address and lower-cases its domain (domains are case-insensitive; local parts
 * may not be, so the local part is kept as typed). Surrounding whitespace makes it invalid:
 * we do not guess what the caller meant.
 */
export function normalizeEmail(input: string): string {
  const parts = input.split('@');
  const [local, domain] = parts;
  if (
    input.length > MAX_ADDRESS_LENGTH ||
    parts.length !== 2 ||
    local === undefined ||
    domain === undefined ||
    local.length > MAX_LOCAL_LENGTH ||
    !LOCAL_PART.test(local) ||
    !isValidDomain(domain)
  ) {
    throw invalidArgument('email', EMAIL_FORMAT_MESSAGE);
  }
  return `${local}@${domain.toLowerCase()}`;
}

/** Fully lower-cased: two addresses differing only in case count as the same enrollment. */
export function emailIdentity(normalized: string): string {
  return normalized.toLowerCase();
}

/** "jane@example.com" → "j***@example.com". */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) {
    return '***';
  }
  return `${email.slice(0, Math.min(at, 1))}***${email.slice(at)}`;
}
