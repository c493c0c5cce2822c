import { Keyring } from '@mfa/crypto';
import { loadWorkerConfig, WorkerConfigError } from '@mfa/worker-host';
import { loadEmailConfig } from './email-config';

const keys = Keyring.generateSpec('k1');
const worker = (env: Record<string, string>) => loadWorkerConfig('email-worker', 16, { MFA_ENCRYPTION_KEYS: keys, ...env });
const valid = { SMTP_URL: 'smtp://mfa:p%40ss@relay.example:587', MAIL_FROM: '"MFA Gateway" <no-reply@example.com>' };

describe('loadEmailConfig', () => {
  it('reads SMTP_URL and MAIL_FROM with a 10 s timeout and a pool no larger than the concurrency', () => {
    expect(loadEmailConfig(worker({}), valid)).toEqual({ smtpUrl: valid.SMTP_URL, mailFrom: valid.MAIL_FROM, smtpTimeoutMs: 10_000, smtpMaxConnections: 5 });
    expect(loadEmailConfig(worker({ WORKER_CONCURRENCY: '2' }), { ...valid, SMTP_URL: 'smtps://relay.example:465', MAIL_FROM: 'no-reply@example.com' })).toMatchObject({
      smtpMaxConnections: 2,
    });
  });

  it.each(['SMTP_URL', 'MAIL_FROM'])('stops the start with one line naming %s when it is missing outside production', (name) => {
    const env: Record<string, string> = { ...valid };
    delete env[name];
    const load = () => loadEmailConfig(worker({}), env);
    expect(load).toThrow(WorkerConfigError);
    expect(load).toThrow(new RegExp(`^${name} is not set: [^\\n]+$`));
  });

  it.each(['SMTP_URL', 'MAIL_FROM'])('requires %s when NODE_ENV=production', (name) => {
    const env: Record<string, string> = { ...valid, NODE_ENV: 'production' };
    delete env[name];
    expect(() => loadEmailConfig(worker({ NODE_ENV: 'production' }), env)).toThrow(`${name} is required when NODE_ENV=production`);
  });

  it('refuses other URL schemes and malformed values without echoing the password', () => {
    for (const url of ['http://mfa:hunter2@relay.example', 'not a url hunter2']) {
      const load = () => loadEmailConfig(worker({}), { ...valid, SMTP_URL: url });
      expect(load).toThrow(/^SMTP_URL /);
      expect(load).not.toThrow(/hunter2/);
    }
    expect(() => loadEmailConfig(worker({}), { ...valid, MAIL_FROM: 'MFA Gateway' })).toThrow(/^MAIL_FROM must be an address/);
  });
});
