import { RequestClient, RestException } from 'twilio';
// Type-only: the SDK exports the class publicly but keeps its option types in the module.
import type SdkRequestClient from 'twilio/lib/base/RequestClient';
import type SdkResponse from 'twilio/lib/http/response';

/** A 429 from Twilio, with the Retry-After that the SDK's `RestException` does not keep. */
export class TwilioThrottledException extends RestException {
  constructor(
    response: { statusCode: number; body: unknown },
    /** What Twilio asked for, in milliseconds; undefined when it sent no usable Retry-After. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(response);
  }
}

/**
 * The SDK's own HTTP client, unchanged but for one thing: twilio-node turns every error response
 * into a `RestException` that drops the response headers, so a 429's Retry-After would be lost
 * before our retry policy could honour it. This client raises the same exception (same status,
 * code and message), carrying the header.
 *
 * Pitfall: a custom `httpClient` makes the SDK ignore its own `timeout`, `autoRetry`,
 * `keepAlive`… options, since those only configure the default client: pass them here.
 */
export class RetryAfterRequestClient extends RequestClient {
  constructor(
    options: SdkRequestClient.RequestClientOptions,
    private readonly now: () => number = Date.now,
  ) {
    super(options);
  }

  override async request<TData>(opts: SdkRequestClient.RequestOptions<TData>): Promise<SdkResponse<TData>> {
    const response = await super.request(opts);
    if (response.statusCode === 429) {
      throw new TwilioThrottledException(response, parseRetryAfter(headerValue(response.headers, 'retry-after'), this.now()));
    }
    return response;
  }
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP date; undefined when absent or unusable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/GMT$/i.test(trimmed)) return undefined; // HTTP dates are always GMT; Date.parse takes far more
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  // axios hands back an AxiosHeaders object (case-insensitive `get`) or a plain record.
  const getter = (headers as { get?: unknown }).get;
  const value = typeof getter === 'function' ? getter.call(headers, name) : (headers as Record<string, unknown>)[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
