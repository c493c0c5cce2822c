/** Fail-fast connection for request paths (rate limits, code checks, readiness, pub/sub). */
export const REDIS = Symbol('REDIS');
/** Blocking connection for BullMQ (producer and the events consumer). */
export const BULL_CONNECTION = Symbol('BULL_CONNECTION');
