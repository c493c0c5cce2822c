import { classifyFcmError, FcmFailureReason } from './fcm-error-classification';

/** Errors shaped as firebase-admin builds them; the messages are deliberately misleading. */
const fcmError = (code: string) => Object.assign(new Error('token not registered, quota exceeded, invalid credential'), { code });

describe('classifyFcmError', () => {
  it.each(['messaging/registration-token-not-registered', 'messaging/invalid-registration-token', 'messaging/invalid-argument'])('%s → dead token', (code) => {
    expect(classifyFcmError(fcmError(code))).toEqual({ kind: 'dead-token' });
  });

  it.each([
    'messaging/internal-error',
    'messaging/server-unavailable',
    'messaging/message-rate-exceeded',
    'messaging/device-message-rate-exceeded',
    'messaging/unknown-error',
    'app/network-error',
    'app/network-timeout',
    'something/new',
  ])('%s → retryable', (code) => {
    expect(classifyFcmError(fcmError(code))).toEqual({ kind: 'retryable' });
  });

  it.each([
    ['messaging/mismatched-credential', FcmFailureReason.ProjectMismatch],
    ['messaging/third-party-auth-error', FcmFailureReason.ApnsCredentials],
    ['messaging/authentication-error', FcmFailureReason.Credentials],
    ['messaging/invalid-payload', FcmFailureReason.Message],
  ])('%s → permanent, for the operator', (code, reason) => {
    expect(classifyFcmError(fcmError(code))).toEqual({ kind: 'permanent', reason, operator: true });
  });

  it('tells a refused key from a token-server outage behind app/invalid-credential', () => {
    const error = fcmError('app/invalid-credential');
    expect(classifyFcmError(error, { transient: false, status: 400, code: 'invalid_grant', at: 0 })).toMatchObject({ kind: 'permanent', reason: FcmFailureReason.Credentials });
    expect(classifyFcmError(error, { transient: true, code: 'ECONNREFUSED', at: 0 })).toEqual({ kind: 'retryable' });
    expect(classifyFcmError(error, { transient: true, status: 503, at: 0 })).toEqual({ kind: 'retryable' });
    expect(classifyFcmError(error)).toMatchObject({ kind: 'permanent' });
  });

  it('ignores the message text of an error without a code', () => {
    expect(classifyFcmError(new Error('registration-token-not-registered'))).toEqual({ kind: 'retryable' });
  });
});
