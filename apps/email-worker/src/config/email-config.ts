import { requiredInProduction, WorkerConfigError, type WorkerConfig } from '@mfa/worker-host';

type Env = Record<string, string | undefined>;

export interface EmailConfig {
  /** `smtp://user:pass@host:587` or `smtps://user:pass@host:465`. */
  smtpUrl: string;
  /** `"MFA Gateway" <no-reply@example.com>` */
  mailFrom: string;
  /** Connect, greeting and socket timeout towards the relay. */
  smtpTimeoutMs: number;
  /** Pooled connections per process; more jobs than this wait for a free connection. */
  smtpMaxConnections: number;
}

export const SMTP_TIMEOUT_MS = 10_000;
const MAX_POOLED_CONNECTIONS = 5;

const ADDRESS = /^[^\s<>@"]+@[^\s<>@"]+\.[^\s<>@"]+$/;

/** Accepts `addr@host` or `Display Name <addr@host>`; the address is what relays verify. */
function isMailbox(value: string): boolean {
  const angled = /<([^<>]*)>\s*$/.exec(value);
  return ADDRESS.test(angled ? angled[1] : value.trim());
}

function required(config: WorkerConfig, env: Env, name: string, example: string): string {
  const value = requiredInProduction(config, env, name);
  if (!value) throw new WorkerConfigError(`${name} is not set: the email worker needs it (e.g. ${example}); npm start provides the SMTP fake's`);
  return value;
}

/** The email worker's own settings (API.md §4), validated at start. Messages never echo the values: SMTP_URL holds a password. */
export function loadEmailConfig(config: WorkerConfig, env: Env = process.env): EmailConfig {
  const smtpUrl = required(config, env, 'SMTP_URL', 'smtp://user:pass@host:587');
  const mailFrom = required(config, env, 'MAIL_FROM', '"MFA Gateway" <no-reply@example.com>');
  let protocol: string;
  try {
    protocol = new URL(smtpUrl).protocol;
  } catch {
    throw new WorkerConfigError('SMTP_URL is not a valid URL (e.g. smtp://user:pass@host:587)');
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:') throw new WorkerConfigError('SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)');
  if (!isMailbox(mailFrom)) throw new WorkerConfigError('MAIL_FROM must be an address, e.g. "MFA Gateway" <no-reply@example.com>');
  return {
    smtpUrl,
    mailFrom,
    smtpTimeoutMs: SMTP_TIMEOUT_MS,
    smtpMaxConnections: Math.min(config.concurrency, MAX_POOLED_CONNECTIONS),
  };
}
