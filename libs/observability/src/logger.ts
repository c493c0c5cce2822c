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

/**
 * An error's own `code` (ECONNREFUSED, a SQLSTATE, a DomainError's or a provider's error code)
 * says what failed and never holds a secret, but the `code` redaction above would hide it; it is
 * logged as `errorCode` instead.
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (!serialized || typeof serialized !== 'object' || !('code' in serialized)) return serialized;
  const { code, ...rest } = serialized;
  return typeof code === 'string' || typeof code === 'number' ? { ...rest, errorCode: code } : rest;
}

export function createLogger(service: string, destination?: DestinationStream, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: serializeError },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
