import { createHmac, timingSafeEqual } from 'node:crypto';

/** Decoded request parameters: one value, or several under one name. */
export type DuoRequestParams = Record<string, string | string[]>;

/** RFC 3986 percent-encoding, as Duo canonicalizes: `encodeURIComponent` plus `!'()*`. */
function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Parameters sorted by name (UTF-16 order), percent-encoded, joined by `&`. */
export function canonicalParams(params: DuoRequestParams): string {
  return Object.keys(params)
    .sort((a, b) => (a === b ? 0 : a < b ? -1 : 1))
    .flatMap((key) => {
      const value = params[key] as string | string[];
      return (Array.isArray(value) ? value : [value]).map((v) => `${percentEncode(key)}=${percentEncode(v)}`);
    })
    .join('&');
}

/** Signature v2's string to sign: date, METHOD, host, path, canonical parameters. */
export function canonicalRequest(date: string, method: string, host: string, path: string, params: DuoRequestParams): string {
  return [date, method.toUpperCase(), host.toLowerCase(), path, canonicalParams(params)].join('\n');
}

/** What Duo expects after `ikey:` in the Basic credentials: hex HMAC-SHA512 with the secret key. */
export function expectedSignature(secretKey: string, canonical: string): string {
  return createHmac('sha512', secretKey).update(canonical).digest('hex');
}

export function signaturesMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Basic base64(ikey:sig)` → its two parts, or undefined. */
export function parseBasicAuthorization(header: string | undefined): { integrationKey: string; signature: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { integrationKey: decoded.slice(0, colon), signature: decoded.slice(colon + 1) };
}
