import { UnrecoverableError } from 'bullmq';
import { PermanentProviderError } from './provider-errors';

/** Reported when the retry budget ran out on temporary failures. */
export const RETRIES_EXHAUSTED_REASON = 'provider unavailable after retries';

/** Reported for a delivery job that BullMQ failed as stalled: it is not run again, since each run stopped a worker. */
export const STALLED_OUT_REASON = 'the delivery job stopped its workers mid-job too many times';

/** A job that can never be delivered, whatever the provider says: fails at once, no retries. */
export class UndeliverableJobError extends UnrecoverableError {
  override name = 'UndeliverableJobError';
  constructor(
    /** Safe to report: never the destination, the code or a device token. */
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The `reason` of a `delivery.failed` event for the error a job finally failed with. */
export function failureReason(error: Error): string {
  if (error instanceof PermanentProviderError || error instanceof UndeliverableJobError) return error.reason;
  return RETRIES_EXHAUSTED_REASON;
}

/** Permanent: retrying would get the same answer (as opposed to retries running out). */
export function isPermanentFailure(error: Error): boolean {
  return error instanceof UnrecoverableError;
}
