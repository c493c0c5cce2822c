import { createLogger } from '@mfa/observability';
import { createBullConnection as bullConnection, createRequestConnection as requestConnection, type RedisConnection } from '@mfa/queue';

/** Fail-fast connection for request paths (rate limits, code checks, readiness, pub/sub). */
export const REDIS = Symbol('REDIS');
/** Blocking connection for BullMQ (producer and the events consumer). */
export const BULL_CONNECTION = Symbol('BULL_CONNECTION');

/**
 * The gateway's connections log their errors (throttled, one JSON line each) under the gateway's
 * name, as do their duplicates (pub/sub subscriber, Duo queue events) and the BullMQ objects on them.
 */
const logger = createLogger('gateway');

export const createRequestConnection = (url: string): RedisConnection => requestConnection(url, {}, logger);
export const createBullConnection = (url: string): RedisConnection => bullConnection(url, {}, logger);
