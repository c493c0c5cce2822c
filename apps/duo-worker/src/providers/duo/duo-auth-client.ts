import { authorizationV2, canonParams, type DuoParams } from './duo-signature';

/** Per-request limit of ordinary calls. */
export const DUO_REQUEST_TIMEOUT_MS = 10_000;

export interface DuoAuthClientOptions {
  integrationKey: string;
  secretKey: string;
  /** `api-xxxxxxxx.duosecurity.com`: signed into every request. */
  apiHost: string;
  /** Where requests really go (proxy, loopback fake); default `https://<apiHost>`. */
  baseUrl?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => Date;
}

/** Duo answered, with a non-2xx status or `stat: FAIL`. */
export class DuoApiError extends Error {
  override name = 'DuoApiError';
  constructor(
    readonly httpStatus: number,
    /** Duo's five-digit error code (40103, 42901 …), when the body had one. */
    readonly code: number | undefined,
    /** Duo's `message`; describes the request, never quotes the username. */
    readonly duoMessage: string | undefined,
    /** Duo's `message_detail` (often the offending parameter's name). */
    readonly detail: string | undefined,
    /** From `Retry-After`, in milliseconds. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(`Duo answered HTTP ${httpStatus}${code === undefined ? '' : `, code ${code}`}`);
  }
}

/** No usable answer: connection failure, timeout, or a body that is not Duo's JSON. */
export class DuoTransportError extends Error {
  override name = 'DuoTransportError';
  constructor(
    message: string,
    /** `timeout`, `network` or `malformed`. */
    readonly kind: 'timeout' | 'network' | 'malformed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RequestOptions {
  /** Default: the client's (10 s). */
  timeoutMs?: number;
  /** Cancels the request (the worker is draining). */
  signal?: AbortSignal;
}

export interface DuoDevice {
  device: string;
  type: string;
  capabilities?: string[];
}

export interface DuoPreauthResponse {
  result: 'auth' | 'enroll' | 'allow' | 'deny';
  status_msg: string;
  enroll_portal_url?: string;
  devices?: DuoDevice[];
}

export interface DuoAuthResponse {
  result: 'allow' | 'deny';
  status: string;
  status_msg: string;
}

export interface DuoAuthStatusResponse {
  result: 'allow' | 'deny' | 'waiting';
  status: string;
  status_msg: string;
}

export interface DuoAuthRequest {
  username: string;
  factor: 'push' | 'phone' | 'auto' | 'passcode';
  device?: string;
  passcode?: string;
  ipaddr?: string;
  /** Push only: `application=…&ip=…`, shown in Duo Mobile. */
  pushinfo?: string;
  /** Push only: the notification's title ("Login request"). */
  type?: string;
}

/**
 * A small, promise-based client of the Duo Auth API v2 with signature v2 (the same signature
 * `@duosecurity/duo_api` computes; proven against it in `duo-signature.spec.ts`). It does not
 * retry: the caller classifies `DuoApiError` / `DuoTransportError` and BullMQ retries the job.
 */
export class DuoAuthClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly now: () => Date;
  private readonly timeoutMs: number;

  constructor(private readonly options: DuoAuthClientOptions) {
    this.baseUrl = (options.baseUrl ?? `https://${options.apiHost}`).replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? (() => new Date());
    this.timeoutMs = options.timeoutMs ?? DUO_REQUEST_TIMEOUT_MS;
  }

  ping(): Promise<{ time: number }> {
    return this.request('GET', '/auth/v2/ping', {});
  }

  check(): Promise<{ time: number }> {
    return this.request('GET', '/auth/v2/check', {});
  }

  preauth(username: string): Promise<DuoPreauthResponse> {
    return this.request('POST', '/auth/v2/preauth', { username });
  }

  /** Synchronous auth: Duo answers when the user did (passcode: at once). */
  auth(request: DuoAuthRequest): Promise<DuoAuthResponse> {
    return this.request('POST', '/auth/v2/auth', authParams(request));
  }

  /** `async=1`: Duo answers with a transaction id at once; `authStatus` follows it. */
  async authAsync(request: DuoAuthRequest): Promise<{ txid: string }> {
    const response = await this.request<{ txid?: unknown }>('POST', '/auth/v2/auth', { ...authParams(request), async: '1' });
    if (typeof response.txid !== 'string' || response.txid === '') throw new DuoTransportError('Duo answered the async auth without a txid', 'malformed');
    return { txid: response.txid };
  }

  /**
   * Duo long-polls this call (it answers when the state changes, after up to about a minute),
   * so the caller passes a longer timeout than the ordinary 10 s.
   */
  authStatus(txid: string, options: RequestOptions = {}): Promise<DuoAuthStatusResponse> {
    return this.request('GET', '/auth/v2/auth_status', { txid }, options);
  }

  /** One signed request; resolves with Duo's `response`, rejects with `DuoApiError` or `DuoTransportError`. */
  async request<T>(method: 'GET' | 'POST', path: string, params: DuoParams, options: RequestOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const signal = options.signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), options.signal]) : AbortSignal.timeout(timeoutMs);
    const date = this.now().toUTCString();
    const encoded = canonParams(params);
    const headers: Record<string, string> = {
      Date: date,
      Authorization: authorizationV2(this.options.integrationKey, this.options.secretKey, { method, host: this.options.apiHost, path, params, date }),
      Accept: 'application/json',
    };
    let url = `${this.baseUrl}${path}`;
    let body: string | undefined;
    if (method === 'POST') {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = encoded;
    } else if (encoded) {
      url += `?${encoded}`;
    }

    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, { method, headers, body, signal, redirect: 'error' });
      text = await response.text();
    } catch (error) {
      const timedOut = (error as Error | undefined)?.name === 'TimeoutError';
      throw new DuoTransportError(timedOut ? `Duo did not answer within ${timeoutMs} ms` : 'Duo could not be reached', timedOut ? 'timeout' : 'network', { cause: error });
    }

    let json: { stat?: unknown; response?: unknown; code?: unknown; message?: unknown; message_detail?: unknown } | undefined;
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      json = undefined;
    }
    if (!response.ok || json?.stat !== 'OK') {
      if (response.ok && json === undefined) throw new DuoTransportError(`Duo answered HTTP ${response.status} without JSON`, 'malformed');
      throw new DuoApiError(
        response.status,
        typeof json?.code === 'number' ? json.code : undefined,
        typeof json?.message === 'string' ? json.message : undefined,
        typeof json?.message_detail === 'string' ? json.message_detail : undefined,
        retryAfterMs(response.headers.get('retry-after'), this.now()),
      );
    }
    if (typeof json.response !== 'object' || json.response === null) throw new DuoTransportError('Duo answered without a response object', 'malformed');
    return json.response as T;
  }
}

function authParams(request: DuoAuthRequest): DuoParams {
  const params: Record<string, string> = { username: request.username, factor: request.factor };
  for (const key of ['device', 'passcode', 'ipaddr', 'pushinfo', 'type'] as const) {
    const value = request[key];
    if (value !== undefined && value !== '') params[key] = value;
  }
  return params;
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; undefined when absent or unusable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
