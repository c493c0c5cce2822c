import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@mfa/crypto';
import { Database } from '@mfa/persistence';
import { CliError, type Env } from './command';
import { describeError } from './describe-error';

// The same variables and development defaults as the gateway (API.md §4), so the CLI works
// on the database and keys a local gateway created without any setting.

const isProduction = (env: Env): boolean => env.NODE_ENV === 'production';
const dataDir = (env: Env): string => env.MFA_DATA_DIR ?? '.data';

export function databaseUrl(env: Env): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (isProduction(env)) throw new CliError('DATABASE_URL is required when NODE_ENV=production');
  return `sqlite:${join(dataDir(env), 'mfa.sqlite')}`;
}

/** MFA_ENCRYPTION_KEYS, or in development the key file the gateway generated. */
export function loadKeyring(env: Env): Keyring {
  if (env.MFA_ENCRYPTION_KEYS) return parseKeyring(env.MFA_ENCRYPTION_KEYS);
  if (isProduction(env)) throw new CliError('MFA_ENCRYPTION_KEYS is required when NODE_ENV=production');
  const file = join(dataDir(env), 'encryption-keys');
  if (!existsSync(file)) throw new CliError(`MFA_ENCRYPTION_KEYS is not set and there is no development key file ${file}`);
  return parseKeyring(readFileSync(file, 'utf8').trim(), file);
}

/** Keyring messages name MFA_ENCRYPTION_KEYS; `file` says when the spec came from elsewhere. */
function parseKeyring(spec: string, file?: string): Keyring {
  try {
    return Keyring.parse(spec);
  } catch (error) {
    throw new CliError(file ? `${file}: ${describeError(error)}` : describeError(error));
  }
}

/** Opens the database (bringing its schema up to date, as the gateway does) and always closes it. */
export async function withDatabase<T>(env: Env, work: (database: Database) => Promise<T>): Promise<T> {
  const url = databaseUrl(env);
  let database: Database;
  try {
    database = await Database.open(url);
  } catch (error) {
    // Not the URL itself: it may hold a password.
    throw new CliError(`cannot open the database (DATABASE_URL): ${describeError(error)}`);
  }
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}
