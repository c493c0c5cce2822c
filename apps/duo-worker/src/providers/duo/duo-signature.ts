import { createHmac } from 'node:crypto';

/** Request parameters as Duo signs them: one value, or several under one name. */
export type DuoParams = Record<string, string | readonly string[]>;

/** Sorts by UTF-16 code unit, a prefix first ('foo' < 'foo_bar'), as Duo's own clients do. */
function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** RFC 3986 percent-encoding: `encodeURIComponent` plus the five characters it leaves alone. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `k=v&k=v…` sorted by name: the signed form of the parameters, and also the body or query sent. */
export function canonParams(params: DuoParams): string {
  return Object.keys(params)
    .sort(compareKeys)
    .flatMap((key) => {
      const value = params[key] as string | readonly string[];
      const values = typeof value === 'string' ? [value] : value;
      return values.map((v) => `${percentEncode(key)}=${percentEncode(v)}`);
    })
    .join('&');
}

export interface SignedRequest {
  method: string;
  /** The API host (`api-xxxxxxxx.duosecurity.com`), whatever URL the request is really sent to. */
  host: string;
  path: string;
  params: DuoParams;
  /** RFC 2822 date, exactly as sent in the `Date` header. */
  date: string;
}

/** Signature v2's canonical string: date, method, host, path, parameters, one per line. */
export function canonicalize(request: SignedRequest): string {
  return [request.date, request.method.toUpperCase(), request.host.toLowerCase(), request.path, canonParams(request.params)].join('\n');
}

/** HMAC-SHA512 of the canonical string, in hex (what `@duosecurity/duo_api` 1.5 `sign` computes). */
export function signatureV2(secretKey: string, request: SignedRequest): string {
  return createHmac('sha512', secretKey).update(canonicalize(request)).digest('hex');
}

/** The `Authorization` header of signature v2: HTTP Basic with `ikey:hex-hmac`. */
export function authorizationV2(integrationKey: string, secretKey: string, request: SignedRequest): string {
  return `Basic ${Buffer.from(`${integrationKey}:${signatureV2(secretKey, request)}`).toString('base64')}`;
}
