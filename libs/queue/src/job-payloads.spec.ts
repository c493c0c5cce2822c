import { parseChallengeEvent, parseDeliveryJob, parseOtpJob } from './job-payloads';
import { InvalidJobPayloadError } from './payload-validation';

const otpJob = {
  v: 1,
  challengeId: 'chl_1',
  tenantId: 'ten_1',
  channel: 'sms',
  sealedDestination: 'v1.k.abc',
  codeLength: 6,
  ttlSeconds: 300,
  locale: 'en',
  purpose: 'challenge',
  issuer: 'Acme',
};

describe('job payloads', () => {
  it('accepts a valid otp job', () => {
    expect(parseOtpJob(otpJob)).toEqual(otpJob);
  });

  it.each([
    ['a future version', { ...otpJob, v: 2 }],
    ['an unknown channel', { ...otpJob, channel: 'fax' }],
    ['a 5-digit code', { ...otpJob, codeLength: 5 }],
    ['a missing destination', { ...otpJob, sealedDestination: undefined }],
    ['an extra field (e.g. a plaintext code)', { ...otpJob, code: '123456' }],
    ['not an object', 'otp'],
  ])('refuses %s as unrecoverable', (_title, payload) => {
    expect(() => parseOtpJob(payload)).toThrow(InvalidJobPayloadError);
  });

  it('validates delivery jobs and events', () => {
    expect(() => parseDeliveryJob({ v: 1, challengeId: 'c', channel: 'email', sealed: 's', ttlSeconds: 1, locale: '', purpose: 'enrollment', issuer: 'x' })).not.toThrow();
    expect(parseChallengeEvent({ v: 1, type: 'delivery.sent', challengeId: 'c', provider: 'twilio', providerRef: 'SM1' }).type).toBe('delivery.sent');
    expect(() => parseChallengeEvent({ v: 1, type: 'delivery.failed', challengeId: 'c', provider: 'twilio', reason: 'x' })).toThrow(InvalidJobPayloadError);
    expect(() => parseChallengeEvent({ v: 1, type: 'other', challengeId: 'c' })).toThrow(InvalidJobPayloadError);
  });
});
