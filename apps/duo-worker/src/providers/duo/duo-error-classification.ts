import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { DuoApiError, DuoTransportError } from './duo-auth-client';

/** Used when a 429 comes without a usable Retry-After. */
export const DEFAULT_THROTTLE_RETRY_AFTER_MS = 2_000;

/** What an operator must check when Duo refuses the integration itself. */
export const CREDENTIALS_HINT = 'check DUO_INTEGRATION_KEY/DUO_SECRET_KEY/DUO_API_HOST';

export type ClassifiedProviderError = RetryableProviderError | PermanentProviderError;

/** Non-secret facts about a failure for operators' logs (never the username or the passcode). */
export interface DuoDiagnostics {
  httpStatus?: number;
  duoCode?: number;
  duoMessage?: string;
  kind?: string;
  /** True when the integration settings are wrong: the use case logs these at error level. */
  credentials?: boolean;
}

const DUO_MESSAGE = /^[\w .,:;'()/-]{1,200}$/;
const PARAMETER_NAME = /^[a-z_]{1,40}$/;

/**
 * Turns what the Duo client rejected with into one of the two provider error classes, by HTTP
 * status and Duo error code (https://duo.com/docs/authapi#response-format), never by message:
 * 401 (40101–40105) and 403 (40301) → permanent, the integration's settings are wrong;
 * 429 (42901) → retryable after Retry-After; 5xx, network failures, timeouts → retryable;
 * 400 (40002 invalid request) and other 4xx → permanent.
 */
export function classifyDuoError(error: unknown, provider: string): ClassifiedProviderError {
  if (error instanceof RetryableProviderError || error instanceof PermanentProviderError) return error;
  if (error instanceof DuoApiError) {
    const { httpStatus, code } = error;
    const diagnostics: DuoDiagnostics = {
      httpStatus,
      duoCode: code,
      duoMessage: error.duoMessage && DUO_MESSAGE.test(error.duoMessage) ? error.duoMessage : undefined,
    };
    const codeText = code === undefined ? '' : `, code ${code}`;
    if (httpStatus === 429 || code === 42901) {
      return withDiagnostics(
        new RetryableProviderError(`Duo throttled the request (HTTP ${httpStatus}${codeText})`, provider, error.retryAfterMs ?? DEFAULT_THROTTLE_RETRY_AFTER_MS),
        diagnostics,
      );
    }
    if (httpStatus >= 500) return withDiagnostics(new RetryableProviderError(`Duo answered HTTP ${httpStatus}${codeText}`, provider, error.retryAfterMs), diagnostics);
    if (httpStatus === 401 || (code !== undefined && code >= 40100 && code < 40200)) {
      return withDiagnostics(new PermanentProviderError('Duo rejected the integration credentials', provider), { ...diagnostics, credentials: true });
    }
    if (httpStatus === 403 || code === 40301) {
      return withDiagnostics(new PermanentProviderError('Duo refused access to the Auth API for this integration', provider), { ...diagnostics, credentials: true });
    }
    if (code === 40002 || code === 40001) {
      const parameter = error.detail && PARAMETER_NAME.test(error.detail) ? ` (${error.detail})` : '';
      return withDiagnostics(new PermanentProviderError(`Duo rejected the request as invalid${parameter}`, provider), diagnostics);
    }
    return withDiagnostics(new PermanentProviderError(`Duo refused the request (HTTP ${httpStatus}${codeText})`, provider), diagnostics);
  }
  if (error instanceof DuoTransportError) {
    const message = error.kind === 'malformed' ? 'Duo answered with something that is not its API' : error.message;
    return withDiagnostics(new RetryableProviderError(message, provider), { kind: error.kind });
  }
  // A bug or an unexpected failure may pass on a retry; only its class name travels on.
  const name = error instanceof Error ? error.name : typeof error;
  return withDiagnostics(new RetryableProviderError(`unexpected ${name} while calling Duo`, provider), { kind: name });
}

/** The label `WorkerMetrics.measureProvider` counts a classified failure under. */
export function providerOutcome(error: unknown): 'retryable' | 'permanent' {
  return error instanceof PermanentProviderError ? 'permanent' : 'retryable';
}

function withDiagnostics<E extends Error>(error: E, diagnostics: DuoDiagnostics): E {
  return Object.assign(error, { diagnostics });
}

export function diagnosticsOf(error: unknown): DuoDiagnostics | undefined {
  const diagnostics = (error as { diagnostics?: unknown } | null)?.diagnostics;
  return typeof diagnostics === 'object' && diagnostics !== null ? (diagnostics as DuoDiagnostics) : undefined;
}
