import { Keyring } from '@mfa/crypto';
import { loadWorkerConfig } from '@mfa/worker-host';
import { loadDuoSettings } from './duo-settings';

const base = { MFA_ENCRYPTION_KEYS: Keyring.generateSpec('k1') };
const full = { ...base, DUO_INTEGRATION_KEY: 'DIXXXXXXXXXXXXXXXXXX', DUO_SECRET_KEY: 'secret', DUO_API_HOST: 'api-abcd1234.duosecurity.com' };
const load = (env: Record<string, string>) => loadDuoSettings(loadWorkerConfig('duo-worker', 32, env), env);

describe('loadDuoSettings', () => {
  it('defaults the base URL to https://DUO_API_HOST', () => {
    expect(load(full)).toEqual({ integrationKey: full.DUO_INTEGRATION_KEY, secretKey: 'secret', apiHost: full.DUO_API_HOST, apiBaseUrl: 'https://api-abcd1234.duosecurity.com' });
  });

  it('takes DUO_API_BASE_URL, plain HTTP included, and keeps signing DUO_API_HOST', () => {
    expect(load({ ...full, DUO_API_BASE_URL: 'http://127.0.0.1:4010/' })).toMatchObject({ apiHost: full.DUO_API_HOST, apiBaseUrl: 'http://127.0.0.1:4010' });
  });

  it('fails with one line naming what is missing, in and out of production', () => {
    expect(() => load(base)).toThrow(/^DUO_INTEGRATION_KEY, DUO_SECRET_KEY, DUO_API_HOST are not set: .*npm start/);
    expect(() => load({ ...full, DUO_SECRET_KEY: '' })).toThrow(/^DUO_SECRET_KEY is not set/);
    expect(() => load({ ...base, NODE_ENV: 'production' })).toThrow('DUO_INTEGRATION_KEY is required when NODE_ENV=production');
  });

  it('refuses a host with a scheme or path, and a base URL that is not http(s)', () => {
    expect(() => load({ ...full, DUO_API_HOST: 'https://api-abcd1234.duosecurity.com' })).toThrow(/DUO_API_HOST must be a host name/);
    expect(() => load({ ...full, DUO_API_BASE_URL: 'ftp://x' })).toThrow('DUO_API_BASE_URL must be an http(s) URL');
  });
});
