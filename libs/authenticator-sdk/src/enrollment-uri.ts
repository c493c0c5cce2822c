import { AuthenticatorError } from './errors';

/** What the QR code shown at EnrollFactor(PUSH) carries (API.md §2). */
export interface EnrollmentUri {
  ticket: string;
  /** The gateway's PUBLIC_BASE_URL, without a trailing slash. */
  baseUrl: string;
  issuer: string;
  label: string;
}

// Parsed by hand: React Native's URL implementation does not handle custom schemes or searchParams reliably.
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const URI = /^[^:]+:\/\/([^/?#]*)\/?(?:\?([^#]*))?(?:#.*)?$/;
const HTTP_URL = /^(https?):\/\/([^/?#@\s]+)(\/[^?#\s]*)?$/i;

const invalid = (message: string): AuthenticatorError => new AuthenticatorError('invalid_enrollment_uri', message);

function decode(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    throw invalid('the enrollment URI has a malformed percent-encoding');
  }
}

function parseBaseUrl(value: string): string {
  const match = HTTP_URL.exec(value);
  if (!match) throw invalid('base_url must be an http(s) URL without query or fragment');
  const [, scheme, host, path = ''] = match;
  return `${scheme.toLowerCase()}://${host}${path.replace(/\/+$/, '')}`;
}

/**
 * `mfa-push://enroll?v=1&ticket=…&base_url=…&issuer=…&label=…` → its fields. Refuses another scheme,
 * host or version, a missing ticket or base_url, a base_url that is not http(s), and repeated
 * parameters; ignores parameters it does not know.
 */
export function parseEnrollmentUri(uri: string): EnrollmentUri {
  if (typeof uri !== 'string') throw invalid('the enrollment URI must be a string');
  const trimmed = uri.trim();
  const scheme = SCHEME.exec(trimmed)?.[1];
  if (scheme === undefined) throw invalid('not an enrollment URI');
  if (scheme.toLowerCase() !== 'mfa-push') throw invalid(`not an mfa-push:// URI (scheme "${scheme}")`);
  const match = URI.exec(trimmed);
  if (!match) throw invalid('not an enrollment URI');
  const [, host, query = ''] = match;
  if (host.toLowerCase() !== 'enroll') throw invalid(`not an enrollment URI (mfa-push://${host})`);

  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (params.has(name)) throw invalid(`parameter "${name}" appears twice`);
    params.set(name, eq < 0 ? '' : decode(pair.slice(eq + 1)));
  }

  const version = params.get('v');
  if (version !== '1') throw invalid(version === undefined ? 'the enrollment URI has no version' : `unsupported enrollment URI version "${version}"`);
  const ticket = params.get('ticket');
  if (!ticket) throw invalid('the enrollment URI has no ticket');
  const baseUrl = params.get('base_url');
  if (!baseUrl) throw invalid('the enrollment URI has no base_url');
  return { ticket, baseUrl: parseBaseUrl(baseUrl), issuer: params.get('issuer') ?? '', label: params.get('label') ?? '' };
}
