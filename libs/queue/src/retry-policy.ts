import type { JobsOptions } from 'bullmq';
import { RetryableProviderError } from './provider-errors';

export const JITTERED_BACKOFF = 'jittered-exponential';
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 60_000;

/**
 * Exponential backoff (1 s, 2 s, 4 s … capped at 60 s) with jitter, so a provider outage does
 * not end in a synchronized stampede; a provider's own Retry-After wins when it is longer.
 */
export function jitteredBackoff(attemptsMade: number, _type?: string, error?: Error, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(exponential * (0.5 + random() / 2));
  const requested = error instanceof RetryableProviderError ? (error.retryAfterMs ?? 0) : 0;
  return Math.max(jittered, Math.min(requested, MAX_DELAY_MS));
}

/** Default options for every job: about five minutes of retries, then a final failure. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: JITTERED_BACKOFF },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

/**
 * A worker's job lock lasts `LOCK_DURATION_MS` and is renewed while it works; a worker killed
 * mid-job stops renewing, and the stalled check hands the job to another worker.
 */
export const LOCK_DURATION_MS = 30_000;
export const STALLED_INTERVAL_MS = 15_000;
export const MAX_STALLED_COUNT = 3;
