/**
 * The one error type of the domain. Transport layers map `code` to a gRPC / HTTP status; they
 * never look at `message`. Messages are shown to callers, so they must never contain codes,
 * secrets, full phone numbers or e-mail addresses.
 */
export enum DomainErrorCode {
  InvalidArgument = 'INVALID_ARGUMENT',
  NotFound = 'NOT_FOUND',
  AlreadyExists = 'ALREADY_EXISTS',
  FailedPrecondition = 'FAILED_PRECONDITION',
  ResourceExhausted = 'RESOURCE_EXHAUSTED',
  Unauthenticated = 'UNAUTHENTICATED',
  Unavailable = 'UNAVAILABLE',
  Unimplemented = 'UNIMPLEMENTED',
  PermissionDenied = 'PERMISSION_DENIED',
  Internal = 'INTERNAL',
}

export interface DomainErrorDetails {
  retryAfterSeconds?: number;
  reason?: string;
  field?: string;
}

export class DomainError extends Error {
  override name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
  }
}

export function invalidArgument(field: string, message: string): DomainError {
  return new DomainError(DomainErrorCode.InvalidArgument, message, { field });
}

export function notFound(what: string): DomainError {
  return new DomainError(DomainErrorCode.NotFound, `${what} not found`);
}

export function failedPrecondition(message: string): DomainError {
  return new DomainError(DomainErrorCode.FailedPrecondition, message);
}

export function resourceExhausted(
  reason: string,
  retryAfterSeconds: number,
  message: string,
): DomainError {
  return new DomainError(DomainErrorCode.ResourceExhausted, message, {
    reason,
    retryAfterSeconds,
  });
}
