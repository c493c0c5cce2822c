import { join } from 'node:path';
import { DEFAULT_PROMPT_LIMIT, DEFAULT_SEND_LIMITS, parseSendLimit, type SendLimit, type SendLimits } from '../services/send-rate-limiter';
import { keyringFromEnv, loadOrCreateDevSecret, type Keyring, newSecretToken } from '@mfa/crypto';
import { redisSettingsFromEnv } from '@mfa/queue';

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
  /** Abuse limits on code sends (MFA_SEND_LIMIT_PER_DESTINATION / _PER_USER / _PER_TENANT, `count/seconds`). */
  sendLimits: SendLimits;
  /** Prompts to one PUSH or DUO factor without an approval (MFA_PROMPT_LIMIT_PER_FACTOR, `count/seconds`). */
  promptLimit: SendLimit;
  /** Notes for the operator (development defaults in use, production settings that look wrong), logged at start as warnings. */
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

/** Reads and validates the gateway's environment (API.md §4); a bad setting stops the start. */
export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const dataDir = env.MFA_DATA_DIR ?? '.data';
  const notices: string[] = [];
  const httpPort = port(env, 'HTTP_PORT', 3000);

  let keyring: Keyring;
  try {
    const source = keyringFromEnv(env);
    keyring = source.keyring;
    if (source.devKeyFile) notices.push(`MFA_ENCRYPTION_KEYS not set: using a development key stored in ${source.devKeyFile}`);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }

  let adminToken = env.MFA_ADMIN_TOKEN;
  if (!adminToken) {
    if (production) throw new ConfigError('MFA_ADMIN_TOKEN is required when NODE_ENV=production');
    adminToken = loadOrCreateDevSecret(dataDir, 'admin-token', () => newSecretToken(24));
  }
  // A warning, not a refusal: API.md §4 sets no length, and a deployment that chose a short token must still start.
  if (production && adminToken.length < 16) notices.push('MFA_ADMIN_TOKEN is shorter than 16 characters: anyone who guesses it can retry failed jobs on /admin/queues; use a long random token');

  let bootstrapApiKey = env.MFA_BOOTSTRAP_API_KEY || undefined;
  if (!bootstrapApiKey && !production) {
    bootstrapApiKey = loadOrCreateDevSecret(dataDir, 'bootstrap-api-key', () => `mfa_${newSecretToken(24)}`);
  }
  // A warning, as for the admin token: API.md §4 sets no length, and a key the operator chose must still work.
  if (production && bootstrapApiKey !== undefined && bootstrapApiKey.length < 16) notices.push('MFA_BOOTSTRAP_API_KEY is shorter than 16 characters: anyone who guesses it can call the API as tenant default; use a long random key');

  const databaseUrl = env.DATABASE_URL || (production ? undefined : `sqlite:${join(dataDir, 'mfa.sqlite')}`);
  if (!databaseUrl) throw new ConfigError('DATABASE_URL is required when NODE_ENV=production');

  let redis: { redisUrl: string; queuePrefix: string };
  try {
    redis = redisSettingsFromEnv(env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }

  const publicBaseUrl = (env.PUBLIC_BASE_URL || `http://127.0.0.1:${httpPort}`).replace(/\/+$/, '');
  if (production) {
    const problem = publicBaseUrlProblem(env.PUBLIC_BASE_URL);
    if (problem) notices.push(`PUBLIC_BASE_URL ${problem}: push enrollment URIs send phones to ${publicBaseUrl}, which they cannot reach; set it to the public https:// address at which devices reach this gateway's HTTP port`);
  }

  return {
    production,
    grpcPort: port(env, 'GRPC_PORT', 50051),
    httpPort,
    databaseUrl,
    ...redis,
    keyring,
    bootstrapApiKey,
    adminToken,
    issuer: env.MFA_ISSUER || 'MFA Gateway',
    sendLimits: sendLimitsFrom(env),
    promptLimit: limitFrom(env, 'MFA_PROMPT_LIMIT_PER_FACTOR', DEFAULT_PROMPT_LIMIT),
    publicBaseUrl,
    notices,
  };
}

/**
 * Why a production PUBLIC_BASE_URL cannot be what phones use, if it cannot. API.md keeps the
 * loopback default, so this is a warning, not a refusal to start.
 */
export function publicBaseUrlProblem(raw: string | undefined): string | undefined {
  if (!raw) return 'is not set';
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return `"${raw}" is not an http(s) URL`;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1' || host === '0.0.0.0' || host === '::') return `points at a loopback address (${url.host})`;
  // The manifests ship an example.com placeholder; reserved names (RFC 2606) never reach a phone.
  if (/(^|\.)example\.(com|net|org)$/.test(host) || /\.(example|invalid|test)$/.test(host)) return `is still a placeholder (${url.host})`;
  return undefined;
}

function limitFrom(env: Env, name: string, fallback: SendLimit): SendLimit {
  try {
    return parseSendLimit(name, env[name], fallback);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function sendLimitsFrom(env: Env): SendLimits {
  return {
    perDestination: limitFrom(env, 'MFA_SEND_LIMIT_PER_DESTINATION', DEFAULT_SEND_LIMITS.perDestination),
    perUser: limitFrom(env, 'MFA_SEND_LIMIT_PER_USER', DEFAULT_SEND_LIMITS.perUser),
    perTenant: limitFrom(env, 'MFA_SEND_LIMIT_PER_TENANT', DEFAULT_SEND_LIMITS.perTenant),
  };
}
