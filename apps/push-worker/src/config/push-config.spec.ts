import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeServiceAccount, writeServiceAccountFile } from '@mfa/fakes';
import { Keyring } from '@mfa/crypto';
import { loadWorkerConfig, WorkerConfigError } from '@mfa/worker-host';
import { loadPushConfig } from './push-config';

describe('loadPushConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'push-config-'));
  const { serviceAccount } = createFakeServiceAccount('acme-mfa');
  const keyFile = writeServiceAccountFile(serviceAccount, dir);
  const base = { MFA_ENCRYPTION_KEYS: Keyring.generateSpec('k1') };
  const load = (env: Record<string, string | undefined>) => {
    const all = { ...base, ...env };
    return loadPushConfig(loadWorkerConfig('push-worker', 64, all), all);
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the project, the key file and the optional base URL', () => {
    const config = load({ FIREBASE_PROJECT_ID: 'acme-mfa', GOOGLE_APPLICATION_CREDENTIALS: keyFile, FCM_API_BASE_URL: 'http://127.0.0.1:4010' });
    expect(config.projectId).toBe('acme-mfa');
    expect(config.serviceAccount).toEqual({ clientEmail: serviceAccount.client_email, privateKey: serviceAccount.private_key, tokenUri: 'https://oauth2.googleapis.com/token' });
    expect(config.apiBaseUrl?.host).toBe('127.0.0.1:4010');
    expect(load({ FIREBASE_PROJECT_ID: 'acme-mfa', GOOGLE_APPLICATION_CREDENTIALS: keyFile, FCM_API_BASE_URL: '' }).apiBaseUrl).toBeUndefined();
  });

  it.each([
    [{ GOOGLE_APPLICATION_CREDENTIALS: 'x' }, /^FIREBASE_PROJECT_ID is not set: .*npm start provides the FCM fake's$/],
    [{ FIREBASE_PROJECT_ID: 'acme-mfa' }, /^GOOGLE_APPLICATION_CREDENTIALS is not set/],
    [{ FIREBASE_PROJECT_ID: 'acme-mfa', NODE_ENV: 'production' }, /^GOOGLE_APPLICATION_CREDENTIALS is required when NODE_ENV=production$/],
    [{ FIREBASE_PROJECT_ID: 'acme mfa!', GOOGLE_APPLICATION_CREDENTIALS: 'x' }, /^FIREBASE_PROJECT_ID is not/],
    [{ FIREBASE_PROJECT_ID: 'acme-mfa', GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json' }, /cannot read .* \(ENOENT\)$/],
  ])('fails start with one clear line: %j', (env, message) => {
    expect(() => load(env)).toThrow(WorkerConfigError);
    expect(() => load(env)).toThrow(message);
  });

  it('refuses a file that is not a service-account key, without echoing it', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ type: 'service_account', client_email: 'a@b', private_key: 'SECRET-NOT-A-KEY' }));
    expect(() => load({ FIREBASE_PROJECT_ID: 'acme-mfa', GOOGLE_APPLICATION_CREDENTIALS: bad })).toThrow(/private_key .* not a valid PEM key$/);
    try {
      load({ FIREBASE_PROJECT_ID: 'acme-mfa', GOOGLE_APPLICATION_CREDENTIALS: bad });
    } catch (error) {
      expect((error as Error).message).not.toContain('SECRET');
    }
    writeFileSync(bad, JSON.stringify({ type: 'authorized_user' }));
    expect(() => load({ FIREBASE_PROJECT_ID: 'acme-mfa', GOOGLE_APPLICATION_CREDENTIALS: bad })).toThrow(/must name a service-account key file/);
  });

  it.each(['ftp://host', 'not a url', 'http://127.0.0.1:4010/v1'])('refuses FCM_API_BASE_URL=%s', (url) => {
    expect(() => load({ FIREBASE_PROJECT_ID: 'acme-mfa', GOOGLE_APPLICATION_CREDENTIALS: keyFile, FCM_API_BASE_URL: url })).toThrow(/^FCM_API_BASE_URL /);
  });
});
