import twilio, { type Twilio } from 'twilio';
import type { TwilioSettings } from '../../config/twilio-settings';
import { RetryAfterRequestClient } from './retry-after-request-client';

/** Per request; a worker slot is not held longer than this by a hanging Twilio. */
export const TWILIO_REQUEST_TIMEOUT_MS = 10_000;

/**
 * One SDK client for the process (it pools connections). The SDK's own retries stay off:
 * BullMQ owns retries, with backoff shared by every worker replica.
 *
 * `TWILIO_API_BASE_URL` (a regional proxy, the loopback fake) replaces the origin of the `api`
 * domain, which serves both Messages and Calls (REST API 2010-04-01); the SDK builds every
 * resource URI from that public `baseUrl`.
 */
export function createTwilioClient(settings: TwilioSettings, timeoutMs = TWILIO_REQUEST_TIMEOUT_MS): Twilio {
  const client = twilio(settings.accountSid, settings.authToken, {
    autoRetry: false,
    httpClient: new RetryAfterRequestClient({ timeout: timeoutMs, autoRetry: false }),
  });
  if (settings.apiBaseUrl) client.api.baseUrl = settings.apiBaseUrl;
  return client;
}
