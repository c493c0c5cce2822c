import { Metadata, status } from '@grpc/grpc-js';
import { assertUnreachable, DomainError, DomainErrorCode } from '@mfa/domain';
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

/** Errors of the database or Redis connection, which clients should retry elsewhere or later. */
export function isInfrastructureOutage(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  const message = String((error as { message?: unknown }).message ?? '');
  return (
    (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P03', '08006', '08001', '08003', 'SQLITE_BUSY'].includes(code)) ||
    /Connection terminated|connection is closed|Connection is closed|timeout exceeded when trying to connect|Cluster isn't ready/.test(message) ||
    isRedisNotServingYet(error)
  );
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
