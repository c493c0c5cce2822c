import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring, loadOrCreateDevSecret } from '@mfa/crypto';

export interface DevelopmentKey {
  /** The `MFA_ENCRYPTION_KEYS` value every app of `npm start` shares. */
  spec: string;
  /** One line for the operator (API.md §4: "generated into .data/ with a warning"). */
  warning: string;
}

/**
 * The shared development encryption key in the data folder, made on first use. The apps' own
 * notice about it never shows under `npm start` (it hands them the key), so the warning is ours.
 * Never for production: `main` does not call this when NODE_ENV=production.
 */
export function developmentEncryptionKey(dataDir: string): DevelopmentKey {
  const file = join(dataDir, 'encryption-keys');
  const existed = existsSync(file);
  const spec = loadOrCreateDevSecret(dataDir, 'encryption-keys', () => Keyring.generateSpec('dev1'));
  const warning = existed
    ? `MFA_ENCRYPTION_KEYS not set: using the development encryption key in ${file}; set MFA_ENCRYPTION_KEYS for any data that matters`
    : `MFA_ENCRYPTION_KEYS not set: generated a development encryption key into ${file}; set MFA_ENCRYPTION_KEYS for any data that matters`;
  return { spec, warning };
}
