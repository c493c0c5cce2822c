import { ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { assertUnreachable, DomainError, DomainErrorCode } from '@mfa/domain';
import { isInfrastructureOutage } from '../grpc/grpc-status';

/** An error the device API answers with its own status and `{error: {code, message}}` body. */
export class DeviceApiError extends Error {
  override name = 'DeviceApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * A 401 from checking the device's signatures; `tokenRefused` when a bearer token was sent and
 * failed a check, not when none was sent or when the signed response in the body failed.
 */
export class DeviceUnauthorizedError extends DeviceApiError {
  override name = 'DeviceUnauthorizedError';
  constructor(
    message: string,
    readonly tokenRefused: boolean,
  ) {
    super(401, 'unauthorized', message);
  }
}

/**
 * The challenge every 401 carries (RFC 6750 §3): `error="invalid_token"` only where a bearer token
 * was sent and refused; without one, or when the token was good and the signed response in the
 * body was not, the bare challenge.
 */
function bearerChallenge(error: DeviceApiError): string {
  return error instanceof DeviceUnauthorizedError && error.tokenRefused ? 'Bearer realm="device", error="invalid_token"' : 'Bearer realm="device"';
}

function fromDomain(error: DomainError): DeviceApiError {
  switch (error.code) {
    case DomainErrorCode.InvalidArgument:
      return new DeviceApiError(400, 'bad_request', error.message);
    case DomainErrorCode.NotFound:
      return new DeviceApiError(404, 'not_found', error.message);
    case DomainErrorCode.FailedPrecondition:
      return new DeviceApiError(409, 'not_pending', error.message);
    case DomainErrorCode.ResourceExhausted:
      return new DeviceApiError(429, error.details.reason ?? 'rate_limited', error.message, error.details.retryAfterSeconds);
    case DomainErrorCode.Unauthenticated:
      return new DeviceApiError(401, 'unauthorized', error.message);
    case DomainErrorCode.PermissionDenied:
      return new DeviceApiError(403, error.details.reason ?? 'forbidden', error.message);
    case DomainErrorCode.Unavailable:
      return new DeviceApiError(503, 'unavailable', error.message);
    case DomainErrorCode.AlreadyExists:
      return new DeviceApiError(409, 'already_exists', error.message);
    case DomainErrorCode.Unimplemented:
    case DomainErrorCode.Internal:
      return new DeviceApiError(500, 'internal', 'internal error');
    default:
      return assertUnreachable(error.code);
  }
}

/** Any failure as the device API answers it; nothing internal leaks into the message. */
export function toDeviceApiError(exception: unknown): DeviceApiError {
  if (exception instanceof DeviceApiError) return exception;
  if (exception instanceof DomainError) return fromDomain(exception);
  if (exception instanceof HttpException && exception.getStatus() === 404) return new DeviceApiError(404, 'not_found', 'no such resource');
  if (isInfrastructureOutage(exception)) return new DeviceApiError(503, 'unavailable', 'a backing service is unavailable, retry later');
  return new DeviceApiError(500, 'internal', 'internal error');
}

/** Writes `{error: {code, message}}` (API.md §2), with `Retry-After` when the error has one and `WWW-Authenticate` on a 401. */
export function sendDeviceApiError(response: Response, error: DeviceApiError): void {
  if (error.retryAfterSeconds) response.setHeader('Retry-After', String(error.retryAfterSeconds));
  if (error.status === 401) response.setHeader('WWW-Authenticate', bearerChallenge(error));
  response.status(error.status).json({ error: { code: error.code, message: error.message } });
}

/** Shapes every failure of a device API route as API.md §2 says. */
@Catch()
export class DeviceApiExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    sendDeviceApiError(host.switchToHttp().getResponse<Response>(), toDeviceApiError(exception));
  }
}
