import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, wherever they sit in the logged object. Codes,
 * secrets, tokens and contact details are removed here once, so no call site has to remember.
 */
export const REDACTED_KEYS = [
  'code',
  'codes',
  'secret',
  'secret_base32',
  'secretBase32',
  'otpauth_uri',
  'token',
  'apiKey',
  'api_key',
  'authorization',
  'password',
  'phone',
  'phone_number',
  'phoneNumber',
  'email',
  'to',
  'destination',
  'enrollment_ticket',
  'ticket',
];

const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export function createLogger(service: string, destination?: DestinationStream, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
