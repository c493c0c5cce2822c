import type { DeviceApiError } from './device-api.error';
import { parsePushUpdate } from './device-request.parsers';

describe('parsePushUpdate', () => {
  it('takes an FCM token, or none when the device polls', () => {
    expect(parsePushUpdate({ push: { platform: 'fcm', token: 'fcm-token-1' } })).toBe('fcm-token-1');
    expect(parsePushUpdate({ push: { platform: 'none' } })).toBeNull();
  });

  it.each([
    ['no object', 'push'],
    ['no push', {}],
    ['an unknown platform', { push: { platform: 'apns', token: 't' } }],
    ['fcm without a token', { push: { platform: 'fcm' } }],
    ['an empty token', { push: { platform: 'fcm', token: '' } }],
    ['a token with control characters', { push: { platform: 'fcm', token: 'a\nb' } }],
    ['an oversized token', { push: { platform: 'fcm', token: 'x'.repeat(4097) } }],
  ])('refuses %s with 400 bad_request', (_what, body) => {
    expect(() => parsePushUpdate(body)).toThrow(expect.objectContaining({ status: 400, code: 'bad_request' }) as DeviceApiError);
  });
});
