/** This worker's own failure reasons; the failure classes and helpers live in @mfa/queue. */
export const CODE_EXPIRED_REASON = 'code expired before it could be delivered';
export const UNREADABLE_JOB_REASON = 'the delivery job could not be read';
