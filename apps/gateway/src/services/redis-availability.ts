import { ReplyError } from 'ioredis';
import { DomainError, DomainErrorCode } from '@mfa/domain';

/**
 * Error replies of a Redis that is up but cannot serve yet: loading its data after a restart, a
 * cluster without a master for the slot or in the middle of a failover, a replica it was pointed
 * at. Clients should retry, as when the connection itself is down.
 */
const NOT_SERVING_YET = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY)\b/;

export function isRedisNotServingYet(error: unknown): boolean {
  return error instanceof ReplyError && NOT_SERVING_YET.test((error as Error).message);
}

/**
 * Runs a Redis call on a request path. Anything but a Redis reply (connection refused or closed,
 * command timed out while Redis restarts), or a reply saying Redis cannot serve yet, means Redis
 * is unavailable, which the caller sees as UNAVAILABLE — quickly, since request connections time
 * commands out instead of queueing them.
 */
export async function viaRedis<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error instanceof ReplyError && !isRedisNotServingYet(error)) || error instanceof DomainError) throw error;
    throw new DomainError(DomainErrorCode.Unavailable, 'Redis is unavailable, retry later');
  }
}
