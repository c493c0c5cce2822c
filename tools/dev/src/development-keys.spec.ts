import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@mfa/crypto';
import { developmentEncryptionKey } from './development-keys';

describe('the development encryption key of npm start', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'dev-keys-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is generated into the data folder on first start, with a warning that says so', () => {
    const key = developmentEncryptionKey(dataDir);
    expect(() => Keyring.parse(key.spec)).not.toThrow();
    expect(readFileSync(join(dataDir, 'encryption-keys'), 'utf8').trim()).toBe(key.spec);
    expect(key.warning).toMatch(/^MFA_ENCRYPTION_KEYS not set: generated a development encryption key into .*encryption-keys/);
    expect(key.warning).not.toContain('\n');
    expect(key.warning).not.toContain(key.spec);
  });

  it('is the same key on the next start, with a warning that it is still in use', () => {
    const first = developmentEncryptionKey(dataDir);
    const second = developmentEncryptionKey(dataDir);
    expect(second.spec).toBe(first.spec);
    expect(second.warning).toMatch(/^MFA_ENCRYPTION_KEYS not set: using the development encryption key in .*encryption-keys/);
  });
});
