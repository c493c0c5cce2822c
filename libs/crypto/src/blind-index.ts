import { createHmac } from 'node:crypto';
import type { Keyring } from './keyring';

const PURPOSE = 'destination-index';

/**
 * Keyed hash of a normalised address (phone number, e-mail), to find duplicates without storing
 * the address in clear: `<key id>.<base64url(HMAC)>`, at most 63 characters. The key id travels
 * with it so look-ups keep working while keys rotate (`blindIndexes` gives one per key).
 */
export function blindIndex(keyring: Keyring, value: string, keyId = keyring.primaryKeyId): string {
  const mac = createHmac('sha256', keyring.deriveKey(PURPOSE, keyId)).update(value, 'utf8').digest().subarray(0, 22);
  return `${keyId}.${mac.toString('base64url')}`;
}

export function blindIndexes(keyring: Keyring, value: string): string[] {
  return keyring.keyIds.map((keyId) => blindIndex(keyring, value, keyId));
}

export function needsReindex(keyring: Keyring, index: string): boolean {
  return !index.startsWith(`${keyring.primaryKeyId}.`);
}
