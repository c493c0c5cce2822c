import { AuthenticatorError } from './errors';
import type { EcJwk, WebCrypto, WebCryptoKey } from './web-crypto';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** The public half as the gateway receives it at enrollment: exactly kty, crv, x, y. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** The private half as a JWK: never leaves the device. */
export interface PrivateJwk extends PublicJwk {
  d: string;
}

/**
 * How the private key is kept: a JWK (any storage that can hold a string; put it in the platform
 * keystore) or a non-extractable WebCrypto key (storage that structured-clones CryptoKeys, such
 * as IndexedDB), which no script can read back out.
 */
export type StoredPrivateKey = PrivateJwk | WebCryptoKey;

export type KeyStorage = 'jwk' | 'non-extractable';

export interface DeviceKeyPair {
  publicKey: PublicJwk;
  privateKey: StoredPrivateKey;
  signingKey: WebCryptoKey;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

export function isPrivateJwk(key: StoredPrivateKey): key is PrivateJwk {
  return typeof (key as { kty?: unknown }).kty === 'string';
}

function toPublicJwk(jwk: { kty?: unknown; crv?: unknown; x?: unknown; y?: unknown }): PublicJwk {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new AuthenticatorError('invalid_record', 'the device key is not an EC P-256 key');
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

export function parsePublicJwk(value: unknown): PublicJwk {
  const jwk = value as Partial<EcJwk> | null;
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.kty !== 'string') throw new AuthenticatorError('invalid_record', 'publicKey must be a JWK');
  const publicJwk = toPublicJwk(jwk);
  if (!B64URL.test(publicJwk.x) || !B64URL.test(publicJwk.y)) throw new AuthenticatorError('invalid_record', 'publicKey has malformed coordinates');
  return publicJwk;
}

export function parseStoredPrivateKey(value: unknown): StoredPrivateKey {
  if (typeof value !== 'object' || value === null) throw new AuthenticatorError('invalid_record', 'privateKey is missing');
  const key = value as StoredPrivateKey;
  if (!isPrivateJwk(key)) {
    if (key.type !== 'private') throw new AuthenticatorError('invalid_record', 'privateKey must be a private JWK or a private CryptoKey');
    return key;
  }
  const { x, y, kty, crv } = toPublicJwk(key);
  if (typeof key.d !== 'string' || !B64URL.test(key.d)) throw new AuthenticatorError('invalid_record', 'privateKey has no d');
  return { kty, crv, x, y, d: key.d };
}

/** A fresh ECDSA P-256 pair (ES256). */
export async function generateDeviceKeyPair(crypto: WebCrypto, storage: KeyStorage): Promise<DeviceKeyPair> {
  const extractable = storage === 'jwk';
  const pair = await crypto.subtle.generateKey(ECDSA_P256, extractable, ['sign', 'verify']);
  // WebCrypto always makes the public half extractable, whatever `extractable` says.
  const publicKey = toPublicJwk(await crypto.subtle.exportKey('jwk', pair.publicKey));
  if (!extractable) return { publicKey, privateKey: pair.privateKey, signingKey: pair.privateKey };
  const exported = await crypto.subtle.exportKey('jwk', pair.privateKey);
  if (typeof exported.d !== 'string') throw new AuthenticatorError('invalid_record', 'WebCrypto exported a private key without d');
  return { publicKey, privateKey: { ...publicKey, d: exported.d }, signingKey: pair.privateKey };
}

/** The key that signs requests; a JWK is imported non-extractable so it is not exported again. */
export async function importSigningKey(crypto: WebCrypto, stored: StoredPrivateKey): Promise<WebCryptoKey> {
  if (!isPrivateJwk(stored)) return stored;
  const { kty, crv, x, y, d } = stored;
  return crypto.subtle.importKey('jwk', { kty, crv, x, y, d }, ECDSA_P256, false, ['sign']);
}
