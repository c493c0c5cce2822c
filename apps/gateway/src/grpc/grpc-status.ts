import { Metadata, status } from '@grpc/grpc-js';
import { assertUnreachable, DomainError, DomainErrorCode } from '@mfa/domain';
import { LockWaitTimeoutError } from '@mfa/persistence';
import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isRedisNotServingYet } from '../services/redis-availability';

export interface GrpcErrorPayload {
  code: status;
  message: string;
  metadata?: Metadata;
}

export function grpcStatusOf(code: DomainErrorCode): status {
  switch (code) {
    case DomainErrorCode.InvalidArgument:
      return status.INVALID_ARGUMENT;
    case DomainErrorCode.NotFound:
      return status.NOT_FOUND;
    case DomainErrorCode.AlreadyExists:
      return status.ALREADY_EXISTS;
    case DomainErrorCode.FailedPrecondition:
      return status.FAILED_PRECONDITION;
    case DomainErrorCode.ResourceExhausted:
      return status.RESOURCE_EXHAUSTED;
    case DomainErrorCode.Unauthenticated:
      return status.UNAUTHENTICATED;
    case DomainErrorCode.Unavailable:
      return status.UNAVAILABLE;
    case DomainErrorCode.Unimplemented:
      return status.UNIMPLEMENTED;
    case DomainErrorCode.PermissionDenied:
      return status.PERMISSION_DENIED;
    case DomainErrorCode.Internal:
      return status.INTERNAL;
    default:
      return assertUnreachable(code);
  }
}

/** Error codes of the connection itself: Node's socket errors, SQLite's lock, and PostgreSQL SQLSTATEs listed one by one. */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'SQLITE_BUSY',
  // statement_timeout (also a cancel by hand, which only an operator sends here)
  '57014',
  // idle_in_transaction_session_timeout ended the session
  '25P03',
  // too_many_connections
  '53300',
]);

/**
 * PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown,
 * crash, starting up, database dropped, idle session timeout).
 */
const OUTAGE_SQLSTATE = /^(08[0-9A-Z]{3}|57P[0-9A-Z]{2})$/;

/** Messages of pg, pg-pool and ioredis when the connection is gone, cut, or answers nothing. */
const OUTAGE_MESSAGE =
  /Connection terminated|connection is closed|Connection is closed|timeout exceeded when trying to connect|Cluster isn't ready|is not queryable|Query read timeout|Query runner already released/;

/**
 * Errors of the database or Redis connection, which clients should retry elsewhere or later. TypeORM
 * wraps pg's error in a QueryFailedError (`driverError`), so the error under it is looked at too;
 * a transaction that outlived its connection fails with QueryRunnerAlreadyReleasedError, and a
 * call that gave up waiting for a stuck call of the same user with LockWaitTimeoutError.
 */
export function isInfrastructureOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if (isConnectionError(error) || isRedisNotServingYet(error)) return true;
  const { driverError, cause } = error as { driverError?: unknown; cause?: unknown };
  return (typeof driverError === 'object' && driverError !== null && isConnectionError(driverError)) || (typeof cause === 'object' && cause !== null && isConnectionError(cause));
}

function isConnectionError(error: object): boolean {
  if (error instanceof QueryRunnerAlreadyReleasedError || error instanceof LockWaitTimeoutError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (OUTAGE_CODES.has(code) || OUTAGE_SQLSTATE.test(code))) return true;
  return OUTAGE_MESSAGE.test(String((error as { message?: unknown }).message ?? ''));
}

/** Maps any thrown value to the gRPC status a client sees; domain messages never hold secrets. */
export function toGrpcError(error: unknown): GrpcErrorPayload {
  if (error instanceof DomainError) {
    const metadata = new Metadata();
    if (error.details.retryAfterSeconds !== undefined && error.code === DomainErrorCode.ResourceExhausted) {
      metadata.set('retry-after', String(Math.max(1, error.details.retryAfterSeconds)));
    }
    if (error.details.reason) metadata.set('reason', error.details.reason);
    return { code: grpcStatusOf(error.code), message: error.message, metadata };
  }
  if (isInfrastructureOutage(error)) return { code: status.UNAVAILABLE, message: 'a backing service is unavailable, retry later' };
  return { code: status.INTERNAL, message: 'internal error' };
}
