import type { TokenExchangeFailure } from './service-account-credential';

/** Reasons reported in `delivery.failed`: readable, never the token. */
export const FcmFailureReason = {
  Credentials: 'FCM refused the service account credentials',
  ProjectMismatch: 'the device is registered with another Firebase project',
  ApnsCredentials: 'FCM could not authenticate with APNs or web push (check the keys in the Firebase console)',
  Message: 'FCM refused the push message',
} as const;
export type FcmFailureReason = (typeof FcmFailureReason)[keyof typeof FcmFailureReason];

export type FcmErrorClass =
  | { kind: 'dead-token' }
  | { kind: 'retryable' }
  /** `operator`: only someone fixing the configuration can make pushes go out again. */
  | { kind: 'permanent'; reason: FcmFailureReason; operator: boolean };

/**
 * The token is gone for good. `invalid-argument` comes from FCM's own validation: the worker's
 * message is fixed apart from the token (the SDK validated the rest before sending), so FCM's
 * INVALID_ARGUMENT can only be about the token (its field violation names `message.token`, which
 * firebase-admin does not pass on).
 */
const DEAD_TOKEN = new Set(['messaging/registration-token-not-registered', 'messaging/invalid-registration-token', 'messaging/invalid-argument']);

const RETRYABLE = new Set([
  'messaging/internal-error',
  'messaging/server-unavailable',
  'messaging/message-rate-exceeded',
  'messaging/device-message-rate-exceeded',
  'messaging/topics-message-rate-exceeded',
  'messaging/quota-exceeded',
  'messaging/unknown-error',
  'app/network-error',
  'app/network-timeout',
  'app/unable-to-parse-response',
]);

const PERMANENT: Record<string, { reason: FcmFailureReason; operator: boolean }> = {
  'messaging/authentication-error': { reason: FcmFailureReason.Credentials, operator: true },
  'messaging/mismatched-credential': { reason: FcmFailureReason.ProjectMismatch, operator: true },
  'messaging/third-party-auth-error': { reason: FcmFailureReason.ApnsCredentials, operator: true },
  'messaging/invalid-payload': { reason: FcmFailureReason.Message, operator: true },
  'messaging/invalid-data-payload-key': { reason: FcmFailureReason.Message, operator: true },
  'messaging/payload-size-limit-exceeded': { reason: FcmFailureReason.Message, operator: true },
  'messaging/invalid-options': { reason: FcmFailureReason.Message, operator: true },
  'messaging/invalid-package-name': { reason: FcmFailureReason.Message, operator: true },
  'messaging/invalid-recipient': { reason: FcmFailureReason.Message, operator: true },
};

export function fcmErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Classifies a firebase-admin error by its `code`, never by its message. `app/invalid-credential`
 * covers every failed token exchange; the credential's own record of the last failure tells a
 * token-server outage (retry) from a refused key (permanent). Unknown codes are retried: the retry
 * budget bounds them, and polling still works if they never succeed.
 */
export function classifyFcmError(error: unknown, tokenFailure?: TokenExchangeFailure): FcmErrorClass {
  const code = fcmErrorCode(error) ?? '';
  if (DEAD_TOKEN.has(code)) return { kind: 'dead-token' };
  if (RETRYABLE.has(code)) return { kind: 'retryable' };
  if (code === 'app/invalid-credential') {
    return tokenFailure?.transient ? { kind: 'retryable' } : { kind: 'permanent', reason: FcmFailureReason.Credentials, operator: true };
  }
  const permanent = PERMANENT[code];
  if (permanent) return { kind: 'permanent', ...permanent };
  return { kind: 'retryable' };
}
