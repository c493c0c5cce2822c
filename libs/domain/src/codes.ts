import { DomainError, DomainErrorCode, invalidArgument } from './errors';

/** RFC 6238 parameters used for every TOTP factor (the common authenticator-app defaults). */
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_ALGORITHM = 'SHA1';
/**
 * Steps accepted on each side of the current one (RFC 6238 §5.2: ±1 step of 30 s), around the
 * server's clock only: following a device's drift would widen it past the ±1 the contract names.
 */
export const TOTP_WINDOW_STEPS = 1;

/** Checked before any attempt is used: a malformed code is an error, not a wrong code. */
export function assertCodeShape(code: string, digits: number): void {
  if (code.length !== digits || !/^[0-9]+$/.test(code)) {
    throw invalidArgument('code', `code must be ${digits} digits`);
  }
}

export const RECOVERY_CODE_COUNT = 10;
/** Crockford base32: no I, L, O or U, so codes survive being read aloud or copied by hand. */
export const RECOVERY_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const RECOVERY_CODE_BYTES = 10;
const MAX_RECOVERY_INPUT_LENGTH = 64;
const RAW_RECOVERY_CODE = /^[0-9A-HJKMNP-TV-Z]{16}$/;
const RECOVERY_FORMAT_MESSAGE = 'recovery code must look like XXXX-XXXX-XXXX-XXXX';

/** "ABCD1234EFGH5678" → "ABCD-1234-EFGH-5678", the form shown to the user. */
export function formatRecoveryCode(raw16: string): string {
  if (!RAW_RECOVERY_CODE.test(raw16)) {
    throw new DomainError(
      DomainErrorCode.Internal,
      'a raw recovery code is 16 characters of the recovery alphabet',
    );
  }
  return [0, 4, 8, 12].map((start) => raw16.slice(start, start + 4)).join('-');
}

/**
 * Turns what a user typed into the raw 16 characters that are hashed and compared: dashes and
 * spaces dropped, upper-cased, and the Crockford look-alikes O → 0, I and L → 1 folded.
 */
export function normalizeRecoveryCode(input: string): string {
  if (input.length > MAX_RECOVERY_INPUT_LENGTH) {
    throw invalidArgument('code', RECOVERY_FORMAT_MESSAGE);
  }
  const raw = input
    .replace(/[- ]/g, '')
    .toUpperCase()
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (!RAW_RECOVERY_CODE.test(raw)) {
    throw invalidArgument('code', RECOVERY_FORMAT_MESSAGE);
  }
  return raw;
}

/** Encodes 10 random bytes (80 bits) as 16 raw characters, 5 bits each, most significant first. */
export function recoveryCodeFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== RECOVERY_CODE_BYTES) {
    throw new DomainError(
      DomainErrorCode.Internal,
      `a recovery code needs exactly ${RECOVERY_CODE_BYTES} random bytes`,
    );
  }
  let code = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xfff; // at most 4 + 8 bits are ever pending
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      code += RECOVERY_CODE_ALPHABET[(buffer >> bits) & 0x1f];
    }
  }
  return code; // 80 bits is exactly 16 characters: no bits are left over
}
