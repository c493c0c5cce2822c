import { requiredInProduction, WorkerConfigError, type WorkerConfig } from '@mfa/worker-host';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** E.164 number of the account that sends the SMS and places the calls. */
  fromNumber: string;
  /** Replaces `https://api.twilio.com` (regional proxy, loopback fake); unset: Twilio's own. */
  apiBaseUrl: string | undefined;
}

type Env = Record<string, string | undefined>;

const REQUIRED = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM_NUMBER'] as const;
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * The telephony worker's provider settings (API.md §4), checked at start so a bad value stops the
 * process with one line naming the variable instead of failing every job later.
 */
export function loadTwilioSettings(config: WorkerConfig, env: Env): TwilioSettings {
  const values = REQUIRED.map((name) => requiredInProduction(config, env, name));
  const missing = REQUIRED.filter((_, i) => values[i] === undefined);
  if (missing.length > 0) {
    throw new WorkerConfigError(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: the telephony worker needs a Twilio account (npm start provides the loopback fake's)`,
    );
  }
  const [accountSid, authToken, fromNumber] = values as [string, string, string];
  if (!accountSid.startsWith('AC')) throw new WorkerConfigError('TWILIO_ACCOUNT_SID must be an account SID (AC…)');
  if (!E164.test(fromNumber)) throw new WorkerConfigError('TWILIO_FROM_NUMBER must be an E.164 number, e.g. +14155550123');
  return { accountSid, authToken, fromNumber, apiBaseUrl: baseUrl(env.TWILIO_API_BASE_URL) };
}

function baseUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WorkerConfigError('TWILIO_API_BASE_URL must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WorkerConfigError('TWILIO_API_BASE_URL must be an http(s) URL');
  return url.origin + url.pathname.replace(/\/+$/, '');
}
