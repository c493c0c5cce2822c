import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from './keyring';

/**
 * Development values kept in the data folder (`.data/` by default) so restarts, the workers and
 * the admin CLI all use the same ones. Created exclusively: two processes starting together
 * agree on the first one written.
 */
export function loadOrCreateDevSecret(dataDir: string, file: string, make: () => string): string {
  const path = join(dataDir, file);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(path, `${make()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(path, 'utf8').trim();
}

export interface KeyringSource {
  keyring: Keyring;
  /** Set when a development key from the data folder is in use. */
  devKeyFile?: string;
}

/** `MFA_ENCRYPTION_KEYS`, required in production; otherwise the shared development key. */
export function keyringFromEnv(env: Record<string, string | undefined>): KeyringSource {
  const spec = env.MFA_ENCRYPTION_KEYS;
  if (spec) return { keyring: Keyring.parse(spec) };
  if (env.NODE_ENV === 'production') throw new Error('MFA_ENCRYPTION_KEYS is required when NODE_ENV=production');
  const dataDir = env.MFA_DATA_DIR ?? '.data';
  return {
    keyring: Keyring.parse(loadOrCreateDevSecret(dataDir, 'encryption-keys', () => Keyring.generateSpec('dev1'))),
    devKeyFile: join(dataDir, 'encryption-keys'),
  };
}
