/** Why the SDK refused something on the device side (no HTTP involved). */
export type AuthenticatorErrorCode =
  | 'invalid_enrollment_uri'
  | 'invalid_push_payload'
  | 'invalid_argument'
  | 'invalid_record'
  | 'invalid_response'
  | 'webcrypto_unavailable';

export class AuthenticatorError extends Error {
  override name = 'AuthenticatorError';
  constructor(
    readonly code: AuthenticatorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The gateway answered with a non-2xx status (API.md §2: `{error: {code, message}}`), e.g.
 * 400 `invalid_ticket`, 401, 403 `binding_mismatch`, 404, 409, 429.
 */
export class DeviceApiError extends Error {
  override name = 'DeviceApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** From a `Retry-After` header (429, 503), in whole seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
