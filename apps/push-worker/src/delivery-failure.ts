/** This worker's own failure reasons; the failure classes and helpers live in @mfa/queue. */
export const PUSH_EXPIRED_REASON = 'push expired before it could be delivered';
export const UNREADABLE_JOB_REASON = 'the push job could not be read';
