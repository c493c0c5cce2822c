import type { Logger } from '@mfa/observability';
import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { CREDENTIALS_HINT, diagnosticsOf } from './providers/duo/duo-error-classification';

/**
 * One log line per failed Duo call: permanent ones at error level (operators act on them; a
 * refused integration names the settings to check), retryable ones at warn.
 */
export function logProviderFailure(logger: Logger, log: object, error: unknown, what: string): void {
  const diagnostics = diagnosticsOf(error);
  if (error instanceof PermanentProviderError) {
    const hint = diagnostics?.credentials ? { hint: CREDENTIALS_HINT } : {};
    logger.error({ ...log, ...diagnostics, ...hint, reason: error.reason }, `${what} failed permanently${diagnostics?.credentials ? `: ${CREDENTIALS_HINT}` : ''}`);
  } else if (error instanceof RetryableProviderError) {
    logger.warn({ ...log, ...diagnostics, retryAfterMs: error.retryAfterMs, problem: error.message }, `${what} failed; will retry`);
  } else {
    logger.warn({ ...log, err: (error as Error | undefined)?.name }, `${what} failed unexpectedly; will retry`);
  }
}
