import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring, newSecretToken } from '@mfa/crypto';

export interface GatewayConfig {
  production: boolean;
  grpcPort: number;
  httpPort: number;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  keyring: Keyring;
  bootstrapApiKey: string | undefined;
  adminToken: string;
  issuer: string;
  publicBaseUrl: string;
  /** Notes for the operator (development defaults in use), logged at start. */
  notices: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(`${name} must be a port number (0-65535)`);
  return value;
}

/** A development value kept in `.data/` so restarts keep working with the same keys. */
function devSecret(dataDir: string, file: string, make: () => string): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

/** Reads and validates the gateway's environment (API.md §4); a bad setting stops the start. */
export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const dataDir = env.MFA_DATA_DIR ?? '.data';
  const notices: string[] = [];
  const httpPort = port(env, 'HTTP_PORT', 3000);

  let keySpec = env.MFA_ENCRYPTION_KEYS;
  if (!keySpec) {
    if (production) throw new ConfigError('MFA_ENCRYPTION_KEYS is required when NODE_ENV=production');
    keySpec = devSecret(dataDir, 'encryption-keys', () => Keyring.generateSpec('dev1'));
    notices.push(`MFA_ENCRYPTION_KEYS not set: using a development key stored in ${join(dataDir, 'encryption-keys')}`);
  }
  let keyring: Keyring;
  try {
    keyring = Keyring.parse(keySpec);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }

  let adminToken = env.MFA_ADMIN_TOKEN;
  if (!adminToken) {
    if (production) throw new ConfigError('MFA_ADMIN_TOKEN is required when NODE_ENV=production');
    adminToken = devSecret(dataDir, 'admin-token', () => newSecretToken(24));
  }

  let bootstrapApiKey = env.MFA_BOOTSTRAP_API_KEY || undefined;
  if (!bootstrapApiKey && !production) {
    bootstrapApiKey = devSecret(dataDir, 'bootstrap-api-key', () => `mfa_${newSecretToken(24)}`);
  }
  if (bootstrapApiKey !== undefined && bootstrapApiKey.length < 16) {
    throw new ConfigError('MFA_BOOTSTRAP_API_KEY must be at least 16 characters');
  }

  const databaseUrl = env.DATABASE_URL || (production ? undefined : `sqlite:${join(dataDir, 'mfa.sqlite')}`);
  if (!databaseUrl) throw new ConfigError('DATABASE_URL is required when NODE_ENV=production');

  return {
    production,
    grpcPort: port(env, 'GRPC_PORT', 50051),
    httpPort,
    databaseUrl,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    queuePrefix: env.QUEUE_PREFIX || '{mfa}',
    keyring,
    bootstrapApiKey,
    adminToken,
    issuer: env.MFA_ISSUER || 'MFA Gateway',
    publicBaseUrl: (env.PUBLIC_BASE_URL || `http://127.0.0.1:${httpPort}`).replace(/\/+$/, ''),
    notices,
  };
}
