import { Keyring } from '@mfa/crypto';
import { loadWorkerConfig, WorkerConfigError } from '@mfa/worker-host';
import { loadTwilioSettings } from './twilio-settings';

const KEYS = Keyring.generateSpec('t1');
const TWILIO = { TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'token', TWILIO_FROM_NUMBER: '+15005550006' };

const load = (env: Record<string, string | undefined>) => {
  const full = { MFA_ENCRYPTION_KEYS: KEYS, ...env };
  return loadTwilioSettings(loadWorkerConfig('telephony-worker', 32, full), full);
};
const message = (env: Record<string, string | undefined>): string => {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(WorkerConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
};

describe('loadTwilioSettings', () => {
  it('reads the account, token, sender and optional base URL', () => {
    expect(load({ ...TWILIO, TWILIO_API_BASE_URL: 'http://127.0.0.1:4010/' })).toEqual({
      accountSid: TWILIO.TWILIO_ACCOUNT_SID,
      authToken: 'token',
      fromNumber: '+15005550006',
      apiBaseUrl: 'http://127.0.0.1:4010',
    });
    expect(load(TWILIO).apiBaseUrl).toBeUndefined();
  });

  it('outside production, names every missing variable on one line', () => {
    const text = message({ TWILIO_ACCOUNT_SID: TWILIO.TWILIO_ACCOUNT_SID });
    expect(text).toMatch(/^TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER are not set: /);
    expect(text).not.toContain('\n');
    expect(message({ ...TWILIO, TWILIO_AUTH_TOKEN: '' })).toMatch(/^TWILIO_AUTH_TOKEN is not set: /);
  });

  it('in production, requires each variable', () => {
    expect(message({ NODE_ENV: 'production', TWILIO_ACCOUNT_SID: TWILIO.TWILIO_ACCOUNT_SID })).toBe('TWILIO_AUTH_TOKEN is required when NODE_ENV=production');
  });

  it('refuses values the SDK or Twilio would refuse later', () => {
    expect(message({ ...TWILIO, TWILIO_ACCOUNT_SID: 'SK123' })).toBe('TWILIO_ACCOUNT_SID must be an account SID (AC…)');
    expect(message({ ...TWILIO, TWILIO_FROM_NUMBER: '0151 234567' })).toBe('TWILIO_FROM_NUMBER must be an E.164 number, e.g. +14155550123');
    expect(message({ ...TWILIO, TWILIO_API_BASE_URL: 'ftp://example.com' })).toBe('TWILIO_API_BASE_URL must be an http(s) URL');
    expect(message({ ...TWILIO, TWILIO_API_BASE_URL: 'not a url' })).toBe('TWILIO_API_BASE_URL must be an http(s) URL');
  });
});
