import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TwilioFake } from '@mfa/fakes';
import { PermanentProviderError, RetryableProviderError } from '@mfa/queue';
import { freePort } from '@mfa/testing';
import { renderCodeVoiceScript } from '../../messages/code-voice-script';
import { createTwilioClient } from './twilio-client';
import { isOutcomeUnknown } from './twilio-error-classification';
import { TwilioSmsProvider } from './twilio-sms.provider';
import { TwilioVoiceProvider } from './twilio-voice.provider';

const FROM = '+15005550006';
const TO = '+4915123456789';

/** The real SDK, pointed at the loopback fake through `TWILIO_API_BASE_URL`-style configuration. */
describe('Twilio providers with the real SDK against the fake', () => {
  const fake = new TwilioFake();
  const settings = (overrides: { authToken?: string; apiBaseUrl?: string } = {}) => ({
    accountSid: fake.accountSid,
    authToken: overrides.authToken ?? fake.authToken,
    fromNumber: FROM,
    apiBaseUrl: overrides.apiBaseUrl ?? fake.url,
  });
  const sms = (overrides: { authToken?: string; apiBaseUrl?: string } = {}, timeoutMs?: number) =>
    new TwilioSmsProvider(createTwilioClient(settings(overrides), timeoutMs), FROM);
  const failure = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error,
    );

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('sends an SMS through messages.create and returns the Message SID', async () => {
    const receipt = await sms().send({ to: TO, body: 'Your Acme verification code is 123456.' });
    expect(receipt.providerRef).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.messages).toEqual([expect.objectContaining({ sid: receipt.providerRef, to: TO, from: FROM, body: 'Your Acme verification code is 123456.' })]);
  });

  it('places a call through calls.create with the TwiML and returns the Call SID', async () => {
    const voice = new TwilioVoiceProvider(createTwilioClient(settings()), FROM);
    const receipt = await voice.call({ to: TO, script: renderCodeVoiceScript({ issuer: 'Acme', code: '123456', purpose: 'challenge', locale: 'de-DE' }) });
    expect(receipt.providerRef).toMatch(/^CA[0-9a-f]{32}$/);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]?.twiml).toContain('<Say language="de-DE"');
  });

  it('classifies a 500 as retryable', async () => {
    fake.failNext(1, 'server_error');
    const error = await failure(sms().send({ to: TO, body: 'x' }));
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect((error as Error).message).toBe('Twilio answered HTTP 500, error 20500');
  });

  it('classifies a 429 as retryable after the Retry-After header Twilio sent', async () => {
    fake.failNext(1, { status: 429, code: 20429, message: 'Too Many Requests', headers: { 'Retry-After': '7' } });
    const error = await failure(sms().send({ to: TO, body: 'x' }));
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect((error as RetryableProviderError).retryAfterMs).toBe(7_000);
  });

  it('classifies an invalid number as permanent, with a reason that does not echo it', async () => {
    fake.failNext(1, 'invalid_number');
    const error = await failure(sms().send({ to: TO, body: 'x' }));
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as PermanentProviderError).reason).toBe('the phone number is not a valid phone number');
    expect(JSON.stringify(error) + (error as Error).message + (error as Error).stack).not.toContain(TO);
  });

  it('classifies a wrong auth token as bad credentials', async () => {
    const error = await failure(sms({ authToken: 'wrong' }).send({ to: TO, body: 'x' }));
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as PermanentProviderError).reason).toBe('Twilio rejected the account credentials');
  });

  it('classifies a refused connection as retryable', async () => {
    const port = await freePort();
    const error = await failure(sms({ apiBaseUrl: `http://127.0.0.1:${port}` }).send({ to: TO, body: 'x' }));
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect((error as Error).message).toBe('Twilio could not be reached (ECONNREFUSED)');
  });

  describe('looking up a request whose answer was lost', () => {
    it('finds an SMS Twilio accepted although the answer came after the timeout', async () => {
      fake.answerSlowly(1, 600);
      const since = new Date(Date.now() - 5_000);
      const error = await failure(sms({}, 200).send({ to: TO, body: 'Your Acme verification code is 123456.' }));
      expect(isOutcomeUnknown(error)).toBe(true);
      const [accepted] = fake.messages;
      await expect(sms().findSent({ to: TO, since, containing: '123456' })).resolves.toEqual({ providerRef: accepted?.sid });
    });

    it('does not take another code, an older message or another number for it', async () => {
      await sms().send({ to: TO, body: 'Your Acme verification code is 111111.' });
      await sms().send({ to: '+4915199999999', body: 'Your Acme verification code is 123456.' });
      await expect(sms().findSent({ to: TO, since: new Date(Date.now() - 5_000), containing: '123456' })).resolves.toBeUndefined();
      await sms().send({ to: TO, body: 'Your Acme verification code is 123456.' });
      await expect(sms().findSent({ to: TO, since: new Date(Date.now() + 60_000), containing: '123456' })).resolves.toBeUndefined();
    });

    it('finds a call placed since the attempt', async () => {
      const voice = new TwilioVoiceProvider(createTwilioClient(settings()), FROM);
      const since = new Date(Date.now() - 5_000);
      await expect(voice.findPlaced({ to: TO, since })).resolves.toBeUndefined();
      const placed = await voice.call({ to: TO, script: renderCodeVoiceScript({ issuer: 'Acme', code: '123456', purpose: 'challenge', locale: 'en' }) });
      await expect(voice.findPlaced({ to: TO, since })).resolves.toEqual(placed);
    });

    it('rejects retryable when the lookup fails, even on a refusal', async () => {
      fake.failNext(1, 'server_error');
      expect(await failure(sms().findSent({ to: TO, since: new Date(), containing: '1' }))).toBeInstanceOf(RetryableProviderError);
      fake.failNext(1, { status: 404, code: 20404, message: 'not found' });
      expect(await failure(sms().findSent({ to: TO, since: new Date(), containing: '1' }))).toBeInstanceOf(RetryableProviderError);
    });
  });

  describe('when Twilio does not answer', () => {
    let silent: Server;
    beforeAll(async () => {
      silent = createServer(() => undefined); // accepts, never responds
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    });

    it('gives up after the request timeout and classifies it as retryable', async () => {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const started = Date.now();
      const error = await failure(sms({ apiBaseUrl: url }, 200).send({ to: TO, body: 'x' }));
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(RetryableProviderError);
      expect((error as Error).message).toMatch(/^Twilio could not be reached \((ECONNABORTED|ETIMEDOUT)\)$/);
    });
  });
});
