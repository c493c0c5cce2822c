import { ReplyError } from 'ioredis';
import { DomainError, DomainErrorCode } from '@mfa/domain';

/**
 * Runs a Redis call on a request path. Anything but a Redis reply (connection refused or closed,
 * command timed out while Redis restarts) means Redis is unavailable, which the caller sees as
 * UNAVAILABLE — quickly, since request connections time commands out instead of queueing them.
 */
export async function viaRedis<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReplyError || error instanceof DomainError) throw error;
    throw new DomainError(DomainErrorCode.Unavailable, 'Redis is unavailable, retry later');
  }
}
