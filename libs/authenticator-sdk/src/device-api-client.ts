import { AuthenticatorError, DeviceApiError } from './errors';

/** The part of a fetch Response the SDK reads. */
export interface FetchResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** `globalThis.fetch` or any function shaped like it. */
export type Fetch = (url: string, init: FetchInit) => Promise<FetchResponse>;

export function defaultFetch(): Fetch {
  const fetch = (globalThis as unknown as { fetch?: Fetch }).fetch;
  if (typeof fetch !== 'function') throw new AuthenticatorError('invalid_argument', 'fetch is not available: pass options.fetch');
  return (url, init) => fetch(url, init);
}

export interface RequestOptions {
  body?: unknown;
  authorization?: string;
  signal?: AbortSignal;
}

function retryAfter(response: FetchResponse): number | undefined {
  const value = response.headers.get('retry-after');
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

async function apiError(response: FetchResponse): Promise<DeviceApiError> {
  let code = `http_${response.status}`;
  let message = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  try {
    const body = JSON.parse(await response.text()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string' && body.error.code !== '') code = body.error.code;
    if (typeof body.error?.message === 'string' && body.error.message !== '') message = body.error.message;
  } catch {
    // Not the documented error body (a proxy's HTML page, say): status code and text still say enough.
  }
  return new DeviceApiError(response.status, code, message, retryAfter(response));
}

/** JSON over `{baseUrl}/device/v1`; non-2xx answers become DeviceApiError. */
export class DeviceApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly fetch: Fetch,
  ) {}

  async request(method: 'GET' | 'POST' | 'PUT', path: string, options: RequestOptions = {}): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.authorization) headers.authorization = `Bearer ${options.authorization}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetch(`${this.baseUrl}/device/v1${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
    if (!response.ok) throw await apiError(response);
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AuthenticatorError('invalid_response', `unexpected gateway response: HTTP ${response.status} without a JSON body`);
    }
  }
}
