import { AuthenticatorError } from './errors';

/*
 * The slice of WebCrypto the SDK uses, typed here rather than taken from the DOM library so the
 * same source compiles for browsers, React Native and Node's own type definitions alike.
 */

/** A CryptoKey, whatever the platform's class is called. */
export interface WebCryptoKey {
  readonly type: string;
  readonly extractable: boolean;
}

/** An EC JWK as WebCrypto exports it. */
export interface EcJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  [member: string]: unknown;
}

type EcdsaP256 = { name: 'ECDSA'; namedCurve: 'P-256' };

export interface WebCryptoSubtle {
  generateKey(algorithm: EcdsaP256, extractable: boolean, usages: ['sign', 'verify']): Promise<{ publicKey: WebCryptoKey; privateKey: WebCryptoKey }>;
  importKey(format: 'jwk', keyData: EcJwk, algorithm: EcdsaP256, extractable: boolean, usages: ['sign']): Promise<WebCryptoKey>;
  exportKey(format: 'jwk', key: WebCryptoKey): Promise<EcJwk>;
  sign(algorithm: { name: 'ECDSA'; hash: 'SHA-256' }, key: WebCryptoKey, data: Uint8Array): Promise<ArrayBuffer>;
}

export interface WebCrypto {
  readonly subtle: WebCryptoSubtle;
  getRandomValues(array: Uint8Array): Uint8Array;
}

/** `globalThis.crypto` (Node ≥ 19, browsers, React Native with a WebCrypto polyfill). */
export function defaultWebCrypto(): WebCrypto {
  const crypto = (globalThis as unknown as { crypto?: Partial<WebCrypto> }).crypto;
  if (!crypto?.subtle || typeof crypto.getRandomValues !== 'function') {
    throw new AuthenticatorError('webcrypto_unavailable', 'WebCrypto is not available: install a polyfill or pass options.crypto');
  }
  return crypto as WebCrypto;
}

export function randomBytes(crypto: WebCrypto, length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}
