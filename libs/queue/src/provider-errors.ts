import { UnrecoverableError } from 'bullmq';

/**
 * Provider failures, classified by the provider adapter (never by matching message text):
 * retryable ones go back to BullMQ's backoff, permanent ones fail the job at once.
 */
export class RetryableProviderError extends Error {
  override name = 'RetryableProviderError';
  constructor(
    message: string,
    readonly provider: string,
    /** What the provider asked for (HTTP 429 Retry-After), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class PermanentProviderError extends UnrecoverableError {
  override name = 'PermanentProviderError';
  constructor(
    /** Safe to show to the caller: says what went wrong, never the destination or the code. */
    readonly reason: string,
    readonly provider: string,
  ) {
    super(reason);
  }
}
