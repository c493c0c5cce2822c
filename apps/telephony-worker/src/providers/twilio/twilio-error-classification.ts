import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { RestException } from 'twilio';
import TwilioServiceException from 'twilio/lib/base/TwilioServiceException';
import { diagnosticsOf, withDiagnostics } from '../provider-receipt';
import { TwilioThrottledException } from './retry-after-request-client';

/** Used when a 429 comes without a usable Retry-After. */
export const DEFAULT_THROTTLE_RETRY_AFTER_MS = 2_000;

/**
 * Twilio error codes (https://www.twilio.com/docs/api/errors) that no retry can fix, with what to
 * tell the user. Twilio's own messages often quote the number, so they are never passed on.
 */
const PERMANENT_REASONS: ReadonlyMap<number, string> = new Map([
  [20003, 'Twilio rejected the account credentials'],
  [21211, 'the phone number is not a valid phone number'],
  [21217, 'the phone number is not a valid phone number'],
  [21614, 'the phone number is not a mobile number and cannot receive SMS'],
  [21612, 'the phone number cannot be reached from the sender number'],
  [21610, 'the recipient has unsubscribed from messages of this sender (replied STOP)'],
  [21408, 'sending to this country or region is not enabled on the Twilio account'],
  [21215, 'calling this country or region is not enabled on the Twilio account'],
  [21608, 'the Twilio trial account can only send to verified phone numbers'],
  [21219, 'the Twilio trial account can only call verified phone numbers'],
  [21212, 'the sender number TWILIO_FROM_NUMBER is not a valid Twilio number'],
  [21606, 'the sender number TWILIO_FROM_NUMBER cannot send SMS'],
  [21210, 'the sender number TWILIO_FROM_NUMBER is not verified for calls'],
  [21660, 'the sender number TWILIO_FROM_NUMBER does not belong to the Twilio account'],
]);

/** Node and axios error codes of requests that never got an answer: the next try may. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED', // axios: the request timeout passed
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * Of those, the ones raised before a connection existed: the request never reached Twilio, so
 * nothing was created. Every other failure may come after Twilio accepted (a slow answer
 * outlives the timeout, a reset loses the answer).
 */
const NEVER_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const OUTCOME_UNKNOWN = Symbol('outcomeUnknown');

export type ClassifiedProviderError = RetryableProviderError | PermanentProviderError;

/**
 * Turns whatever a twilio SDK call rejected with into one of the two provider error classes, by
 * HTTP status, Twilio error code or network error code, never by message text:
 * 429 and 5xx → retryable (429 with its Retry-After); 401 / 20003 → bad credentials; known
 * destination and sender codes → permanent with a human reason; other 4xx → permanent;
 * network failures → retryable. Failures after which Twilio may have accepted the request
 * anyway (network failures once connected, 502/504 from a gateway, anything unexpected) are flagged: see
 * `isOutcomeUnknown`.
 */
export function classifyTwilioError(error: unknown, provider: string): ClassifiedProviderError {
  if (error instanceof RetryableProviderError || error instanceof PermanentProviderError) return error;
  if (error instanceof RestException || error instanceof TwilioServiceException) {
    const status = error.status;
    const code = typeof error.code === 'number' ? error.code : undefined;
    // `twilioCode`, not `code`: logs redact every `code` key (one-time codes), and Twilio's error codes are what operators look up.
    const diagnostics = { status, twilioCode: code };
    const codeText = code === undefined ? '' : `, error ${code}`;
    if (status === 429) {
      const retryAfterMs = error instanceof TwilioThrottledException ? (error.retryAfterMs ?? DEFAULT_THROTTLE_RETRY_AFTER_MS) : DEFAULT_THROTTLE_RETRY_AFTER_MS;
      return withDiagnostics(new RetryableProviderError(`Twilio throttled the request (HTTP 429${codeText})`, provider, retryAfterMs), diagnostics);
    }
    if (status >= 500) {
      // Twilio's own error answer (500, 503) says the message was not created. A 502 or 504 comes
      // from a gateway in between, which may have passed the request on before it gave up.
      const error = withDiagnostics(new RetryableProviderError(`Twilio answered HTTP ${status}${codeText}`, provider), diagnostics);
      return status === 502 || status === 504 ? outcomeUnknown(error) : error;
    }
    if (status === 401) return withDiagnostics(new PermanentProviderError('Twilio rejected the account credentials', provider), diagnostics);
    const known = code === undefined ? undefined : PERMANENT_REASONS.get(code);
    const reason = known ?? `Twilio refused the request (HTTP ${status}${codeText})`;
    return withDiagnostics(new PermanentProviderError(reason, provider), diagnostics);
  }
  const networkCode = networkErrorCode(error);
  if (networkCode !== undefined) {
    const error = withDiagnostics(new RetryableProviderError(`Twilio could not be reached (${networkCode})`, provider), { errno: networkCode });
    return NEVER_CONNECTED_CODES.has(networkCode) ? error : outcomeUnknown(error);
  }
  // Anything else (a bug, an unexpected SDK failure) may pass on a retry; its message could
  // quote the request, so only its class name travels on.
  const name = error instanceof Error ? error.name : typeof error;
  return outcomeUnknown(withDiagnostics(new RetryableProviderError(`unexpected ${name} while calling Twilio`, provider), { error: name }));
}

/**
 * Whether Twilio may have accepted the request that failed with `error` (a classified error):
 * then retrying means asking Twilio first, not sending again. Errors from elsewhere count as
 * unknown too, since nothing says the request did not go out.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  if (error instanceof PermanentProviderError) return false;
  if (error instanceof RetryableProviderError) return (error as { [OUTCOME_UNKNOWN]?: boolean })[OUTCOME_UNKNOWN] === true;
  return true;
}

function outcomeUnknown<E extends Error>(error: E): E {
  return Object.assign(error, { [OUTCOME_UNKNOWN]: true });
}

/** The label `WorkerMetrics.measureProvider` counts a classified failure under. */
export function providerOutcome(error: unknown): 'retryable' | 'permanent' {
  return error instanceof PermanentProviderError ? 'permanent' : 'retryable';
}

function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 3; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A failed lookup of earlier sends: always retryable, since the caller must not send again
 * without an answer, and a refusal (say, a 404 from a proxy) says nothing about the message.
 */
export function classifyTwilioLookupError(error: unknown, provider: string): RetryableProviderError {
  const classified = classifyTwilioError(error, provider);
  if (classified instanceof RetryableProviderError) return classified;
  return withDiagnostics(new RetryableProviderError(`Twilio refused the lookup of earlier sends (${classified.reason})`, provider), diagnosticsOf(classified) ?? {});
}
