import { keyringFromEnv, type Keyring } from '@mfa/crypto';
import { redisSettingsFromEnv } from '@mfa/queue';

export interface WorkerConfig {
  name: string;
  production: boolean;
  httpPort: number;
  redisUrl: string;
  queuePrefix: string;
  concurrency: number;
  keyring: Keyring;
  issuer: string;
  notices: string[];
}

export class WorkerConfigError extends Error {
  override name = 'WorkerConfigError';
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new WorkerConfigError(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** The settings every worker shares (API.md §4); each worker adds its provider's own. */
export function loadWorkerConfig(name: string, defaultConcurrency: number, env: Env = process.env): WorkerConfig {
  const notices: string[] = [];
  let keyring: Keyring;
  try {
    const source = keyringFromEnv(env);
    keyring = source.keyring;
    if (source.devKeyFile) notices.push(`MFA_ENCRYPTION_KEYS not set: using the development key in ${source.devKeyFile}`);
  } catch (error) {
    throw new WorkerConfigError((error as Error).message);
  }
  let redis: { redisUrl: string; queuePrefix: string };
  try {
    redis = redisSettingsFromEnv(env);
  } catch (error) {
    throw new WorkerConfigError((error as Error).message);
  }
  return {
    name,
    production: env.NODE_ENV === 'production',
    httpPort: integer(env, 'HTTP_PORT', 3000, 0, 65_535),
    ...redis,
    concurrency: integer(env, 'WORKER_CONCURRENCY', defaultConcurrency, 1, 1_000),
    keyring,
    issuer: env.MFA_ISSUER || 'MFA Gateway',
    notices,
  };
}

/** A provider setting that production requires; elsewhere its absence is reported by the caller. */
export function requiredInProduction(config: WorkerConfig, env: Env, name: string): string | undefined {
  const value = env[name];
  if (!value && config.production) throw new WorkerConfigError(`${name} is required when NODE_ENV=production`);
  return value || undefined;
}
