import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@mfa/crypto';
import type { AppProcess } from '../../e2e/src/stack';

/**
 * The environment of one built app run alone (no stack): a data directory and SQLite database of
 * its own, so nothing is written to the checkout's `.data`. `dispose()` removes the directory.
 */
export function loneAppEnv(overrides: Record<string, string> = {}): { env: Record<string, string>; dispose(): void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'mfa-lone-app-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: 'info',
    MFA_DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${join(dataDir, 'mfa.sqlite')}`,
    QUEUE_PREFIX: `{mfa-lone-${randomBytes(6).toString('hex')}}`,
    MFA_ENCRYPTION_KEYS: Keyring.generateSpec('lone1'),
    MFA_BOOTSTRAP_API_KEY: `mfa_lone_${randomBytes(18).toString('base64url')}`,
    MFA_ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    ...overrides,
  };
  return { env, dispose: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** What the app writes to stderr from now on (its `output` mixes stdout and stderr). */
export function stderrOf(app: AppProcess): () => string {
  let text = '';
  app.child.stderr!.on('data', (chunk: string) => (text += chunk));
  return () => text;
}

/** The JSON log lines the app wrote (stdout), parsed; other lines are left out. */
export function logLines(app: AppProcess): Array<Record<string, unknown>> {
  return app.output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
