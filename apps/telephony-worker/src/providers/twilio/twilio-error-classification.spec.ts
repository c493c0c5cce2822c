import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { RestException } from 'twilio';
import { createLogger } from '@mfa/observability';
import { diagnosticsOf } from '../provider-receipt';
import { TwilioThrottledException } from './retry-after-request-client';
import { classifyTwilioError, classifyTwilioLookupError, DEFAULT_THROTTLE_RETRY_AFTER_MS, isOutcomeUnknown, providerOutcome } from './twilio-error-classification';

const NUMBER = '+4915123456789';
const restException = (status: number, code: number, message = `The 'To' number ${NUMBER} is not valid.`) =>
  new RestException({ statusCode: status, body: { status, code, message, more_info: `https://www.twilio.com/docs/errors/${code}` } });
const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe('classifyTwilioError', () => {
  it.each([
    [400, 21211, 'the phone number is not a valid phone number'],
    [400, 21217, 'the phone number is not a valid phone number'],
    [400, 21614, 'the phone number is not a mobile number and cannot receive SMS'],
    [400, 21610, 'the recipient has unsubscribed from messages of this sender (replied STOP)'],
    [400, 21612, 'the phone number cannot be reached from the sender number'],
    [400, 21408, 'sending to this country or region is not enabled on the Twilio account'],
    [401, 20003, 'Twilio rejected the account credentials'],
    [403, 20003, 'Twilio rejected the account credentials'],
    [400, 21606, 'the sender number TWILIO_FROM_NUMBER cannot send SMS'],
    [404, 20404, 'Twilio refused the request (HTTP 404, error 20404)'],
    [400, 99999, 'Twilio refused the request (HTTP 400, error 99999)'],
  ])('HTTP %i / %i is permanent: %s', (status, code, reason) => {
    const error = classifyTwilioError(restException(status, code), 'twilio-sms');
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as PermanentProviderError).reason).toBe(reason);
    expect(error.provider).toBe('twilio-sms');
    expect(providerOutcome(error)).toBe('permanent');
  });

  it('gives operators the HTTP status and Twilio error code under keys the log redaction keeps', () => {
    const error = classifyTwilioError(restException(400, 21211), 'twilio-sms');
    expect(diagnosticsOf(error)).toEqual({ status: 400, twilioCode: 21211 });
    const logged: string[] = [];
    createLogger('spec', { write: (line: string) => void logged.push(line) }).warn(diagnosticsOf(error), 'delivery failed');
    expect(JSON.parse(logged[0])).toMatchObject({ status: 400, twilioCode: 21211 });
  });

  it('treats any 401 as bad credentials, whatever the code', () => {
    expect((classifyTwilioError(restException(401, 0), 'twilio-sms') as PermanentProviderError).reason).toBe('Twilio rejected the account credentials');
  });

  it.each([500, 502, 503, 504])('HTTP %i is retryable', (status) => {
    const error = classifyTwilioError(restException(status, 20500, 'Internal Server Error'), 'twilio-voice');
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect(error.message).toBe(`Twilio answered HTTP ${status}, error 20500`);
    expect(providerOutcome(error)).toBe('retryable');
  });

  it('429 is retryable after the Retry-After Twilio sent', () => {
    const response = { statusCode: 429, body: { status: 429, code: 20429, message: 'Too Many Requests' } };
    const error = classifyTwilioError(new TwilioThrottledException(response, 7_000), 'twilio-sms');
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect((error as RetryableProviderError).retryAfterMs).toBe(7_000);
  });

  it('429 without a Retry-After waits the default', () => {
    expect((classifyTwilioError(restException(429, 20429), 'twilio-sms') as RetryableProviderError).retryAfterMs).toBe(
      DEFAULT_THROTTLE_RETRY_AFTER_MS,
    );
    const bare = new TwilioThrottledException({ statusCode: 429, body: { status: 429, code: 20429, message: 'x' } }, undefined);
    expect((classifyTwilioError(bare, 'twilio-sms') as RetryableProviderError).retryAfterMs).toBe(DEFAULT_THROTTLE_RETRY_AFTER_MS);
  });

  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED', 'EAI_AGAIN'])('network error %s is retryable', (code) => {
    const error = classifyTwilioError(networkError(code), 'twilio-sms');
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect(error.message).toBe(`Twilio could not be reached (${code})`);
  });

  it('finds a network error code on the cause', () => {
    const error = new Error('request failed', { cause: networkError('ECONNRESET') });
    expect(classifyTwilioError(error, 'twilio-sms').message).toBe('Twilio could not be reached (ECONNRESET)');
  });

  it('retries an unknown failure without passing its message on', () => {
    const error = classifyTwilioError(new TypeError(`cannot read ${NUMBER}`), 'twilio-sms');
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect(error.message).toBe('unexpected TypeError while calling Twilio');
  });

  describe('whether Twilio may have accepted the failed request', () => {
    it.each(['ECONNABORTED', 'ETIMEDOUT', 'ECONNRESET', 'ESOCKETTIMEDOUT', 'EPIPE', 'ERR_NETWORK', 'UND_ERR_SOCKET'])(
      'a request that timed out or broke once connected (%s) has an unknown outcome',
      (code) => {
        const error = classifyTwilioError(networkError(code), 'twilio-sms');
        expect(error).toBeInstanceOf(RetryableProviderError);
        expect(isOutcomeUnknown(error)).toBe(true);
      },
    );

    it('the axios request timeout (the slow-Twilio case) is retryable with an unknown outcome', () => {
      const timeout = Object.assign(new Error('timeout of 10000ms exceeded'), { code: 'ECONNABORTED' });
      const error = classifyTwilioError(timeout, 'twilio-sms');
      expect(error.message).toBe('Twilio could not be reached (ECONNABORTED)');
      expect(isOutcomeUnknown(error)).toBe(true);
    });

    it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])('a request that never connected (%s) created nothing', (code) => {
      expect(isOutcomeUnknown(classifyTwilioError(networkError(code), 'twilio-sms'))).toBe(false);
    });

    it("a gateway's 502/504 and unexpected failures are unknown; Twilio's own 500/503, 429 and refusals are not", () => {
      expect(isOutcomeUnknown(classifyTwilioError(restException(504, 20504), 'twilio-sms'))).toBe(true);
      expect(isOutcomeUnknown(classifyTwilioError(restException(502, 20502), 'twilio-sms'))).toBe(true);
      expect(isOutcomeUnknown(classifyTwilioError(restException(500, 20500), 'twilio-sms'))).toBe(false);
      expect(isOutcomeUnknown(classifyTwilioError(restException(503, 20503), 'twilio-sms'))).toBe(false);
      expect(isOutcomeUnknown(classifyTwilioError(new TypeError('x'), 'twilio-sms'))).toBe(true);
      expect(isOutcomeUnknown(classifyTwilioError(restException(429, 20429), 'twilio-sms'))).toBe(false);
      expect(isOutcomeUnknown(classifyTwilioError(restException(400, 21211), 'twilio-sms'))).toBe(false);
    });

    it('keeps the flag when an already classified error passes through again', () => {
      const error = classifyTwilioError(networkError('ECONNABORTED'), 'twilio-sms');
      expect(isOutcomeUnknown(classifyTwilioError(error, 'twilio-sms'))).toBe(true);
      expect(isOutcomeUnknown(new Error('not from the provider'))).toBe(true);
    });
  });

  it('makes every failed lookup retryable, keeping the diagnostics', () => {
    const refused = classifyTwilioLookupError(restException(404, 20404), 'twilio-sms');
    expect(refused).toBeInstanceOf(RetryableProviderError);
    expect(diagnosticsOf(refused)).toEqual({ status: 404, twilioCode: 20404 });
    expect(classifyTwilioLookupError(networkError('ECONNABORTED'), 'twilio-sms')).toBeInstanceOf(RetryableProviderError);
  });

  it('never echoes the number or Twilio message in what it produces', () => {
    for (const [status, code] of [
      [400, 21211],
      [400, 12345],
      [500, 20500],
      [429, 20429],
    ]) {
      const error = classifyTwilioError(restException(status, code), 'twilio-sms');
      expect(error.message).not.toContain(NUMBER);
      expect(JSON.stringify(error)).not.toContain(NUMBER);
    }
  });
});
