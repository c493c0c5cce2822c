import { Writable } from 'node:stream';
import { Keyring } from '@mfa/crypto';
import { createLogger } from '@mfa/observability';
import { JobIds, PermanentProviderError, RetryableProviderError, sealedDeliveryAad, type ChallengeEventJob, type DeliveryJob } from '@mfa/queue';
import { DeliverCodeCommand } from './deliver-code.command';
import { DeliverCodeUseCase, EXPIRED_REASON, MAX_UNCONFIRMED_SENDS, RETRIES_EXHAUSTED_REASON, UNCONFIRMED_SETTLE_MS } from './deliver-code.usecase';
import type { DeliveredMarker, SendAttempt, SendAttempts } from './delivered-marker.repository';
import type { ProviderReceipt } from './providers/provider-receipt';
import type { SentSmsQuery, SmsMessage, SmsProvider } from './providers/sms.provider';
import { classifyTwilioError } from './providers/twilio/twilio-error-classification';
import type { VoiceCall, VoiceProvider } from './providers/voice.provider';

const TO = '+4915123456789';
const CODE = '48151623';
const NOW = Date.parse('2025-01-01T12:00:00Z');

/** The use case with in-memory ports, and every log line it writes. */
function setup(smsOutcome: () => Promise<{ providerRef: string }> = async () => ({ providerRef: 'SM1' })) {
  const keyring = Keyring.parse(Keyring.generateSpec('t1'));
  const lines: string[] = [];
  const logger = createLogger(
    'test',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
    'debug',
  );
  const marks = new Map<string, string>();
  const ended = new Set<string>();
  const marker: DeliveredMarker = {
    lookup: async (id) => ({ delivered: marks.get(id), ended: ended.has(id) }),
    mark: async (id, ref) => void marks.set(id, ref),
  };
  const attemptRecords = new Map<string, SendAttempt>();
  const attempts: SendAttempts = {
    find: async (id) => attemptRecords.get(id),
    begin: async (id, at) => {
      const earlier = attemptRecords.get(id);
      attemptRecords.set(id, { firstAt: earlier?.firstAt ?? at, lastAt: at, unconfirmed: (earlier?.unconfirmed ?? 0) + 1 });
    },
    release: async (id) => {
      const earlier = attemptRecords.get(id);
      if (earlier) attemptRecords.set(id, { ...earlier, unconfirmed: earlier.unconfirmed - 1 });
    },
  };
  const events: { jobId: string; event: ChallengeEventJob }[] = [];
  const sent: SmsMessage[] = [];
  const calls: VoiceCall[] = [];
  const lookups: SentSmsQuery[] = [];
  const provider = { lookup: async (): Promise<ProviderReceipt | undefined> => undefined };
  const sms: SmsProvider = {
    name: 'twilio-sms',
    send: async (message) => {
      sent.push(message);
      return smsOutcome();
    },
    findSent: async (query) => {
      lookups.push(query);
      return provider.lookup();
    },
  };
  const voice: VoiceProvider = {
    name: 'twilio-voice',
    call: async (call) => {
      calls.push(call);
      return { providerRef: 'CA1' };
    },
    findPlaced: async () => provider.lookup(),
  };
  const useCase = new DeliverCodeUseCase({
    keyring,
    marker,
    attempts,
    events: { add: async (_queue, jobId, event) => void events.push({ jobId, event: event as ChallengeEventJob }) },
    sms,
    voice,
    metrics: { measureProvider: (_provider, call) => call() },
    logger,
    now: () => NOW,
  });
  const job = (overrides: Partial<DeliveryJob> = {}): DeliveryJob => ({
    v: 1,
    challengeId: 'ch1',
    channel: 'sms',
    sealed: keyring.encrypt(JSON.stringify({ to: TO, code: CODE }), sealedDeliveryAad(overrides.challengeId ?? 'ch1')),
    ttlSeconds: 300,
    locale: 'en',
    purpose: 'challenge',
    issuer: 'Acme',
    ...overrides,
  });
  const command = (payload: DeliveryJob, queuedAt = NOW) => DeliverCodeCommand.create({ job: payload, jobId: JobIds.delivery(payload.challengeId), queuedAt, attemptsMade: 0 });
  return { useCase, job, command, lines, marks, ended, events, sent, calls, attemptRecords, lookups, provider };
}

describe('DeliverCodeUseCase', () => {
  it('sends, marks delivered and reports delivery.sent with the provider reference', async () => {
    const t = setup();
    await expect(t.useCase.execute(t.command(t.job()))).resolves.toBe('sent');
    expect(t.sent).toEqual([{ to: TO, body: `Your Acme verification code is ${CODE}. It expires in 5 minutes.` }]);
    expect(t.marks.get('ch1')).toBe('SM1');
    expect(t.events).toEqual([{ jobId: 'ch1.sent', event: { v: 1, type: 'delivery.sent', challengeId: 'ch1', provider: 'twilio-sms', providerRef: 'SM1' } }]);
  });

  it('calls for the voice channel', async () => {
    const t = setup();
    await t.useCase.execute(t.command(t.job({ channel: 'voice', locale: 'de-DE' })));
    expect(t.sent).toHaveLength(0);
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]?.script.language).toBe('de-DE');
    expect(t.events[0]?.event).toMatchObject({ type: 'delivery.sent', provider: 'twilio-voice', providerRef: 'CA1' });
  });

  it('sends nothing once the challenge lifetime has passed and reports delivery.failed', async () => {
    const t = setup();
    await expect(t.useCase.execute(t.command(t.job(), NOW - 301_000))).resolves.toBe('expired');
    expect(t.sent).toHaveLength(0);
    expect(t.events).toEqual([
      { jobId: 'ch1.failed', event: { v: 1, type: 'delivery.failed', challengeId: 'ch1', provider: 'twilio-sms', reason: EXPIRED_REASON, permanent: true } },
    ]);
  });

  it('sends nothing again when already delivered, but reports sent again', async () => {
    const t = setup();
    t.marks.set('ch1', 'SMearlier');
    await expect(t.useCase.execute(t.command(t.job()))).resolves.toBe('already-delivered');
    expect(t.sent).toHaveLength(0);
    expect(t.events[0]?.event).toMatchObject({ type: 'delivery.sent', providerRef: 'SMearlier' });
  });

  it('sends nothing and reports nothing for a challenge the gateway marked ended after the code was drawn', async () => {
    const t = setup();
    t.ended.add('ch1');
    await expect(t.useCase.execute(t.command(t.job()))).resolves.toBe('withdrawn');
    expect(t.sent).toHaveLength(0);
    expect(t.calls).toHaveLength(0);
    expect(t.events).toHaveLength(0);
  });

  it('reports no failure for an ended challenge whose lifetime has passed: it was withdrawn, not failed', async () => {
    const t = setup();
    t.ended.add('ch1');
    await expect(t.useCase.execute(t.command(t.job(), NOW - 301_000))).resolves.toBe('withdrawn');
    expect(t.sent).toHaveLength(0);
    expect(t.events).toHaveLength(0);
  });

  it('still reports as sent an ended challenge\'s code that an earlier request with a lost answer did deliver', async () => {
    const t = setup();
    t.ended.add('ch1');
    t.attemptRecords.set('ch1', { firstAt: NOW - 12_000, lastAt: NOW - 12_000, unconfirmed: 1 });
    t.provider.lookup = async () => ({ providerRef: 'SMlate' });
    await expect(t.useCase.execute(t.command(t.job()))).resolves.toBe('already-delivered');
    expect(t.sent).toHaveLength(0);
    expect(t.events[0]?.event).toMatchObject({ type: 'delivery.sent', providerRef: 'SMlate' });
  });

  it('lets a classified provider error through, marks nothing and reports nothing yet', async () => {
    const t = setup(async () => {
      throw new RetryableProviderError('Twilio answered HTTP 503', 'twilio-sms');
    });
    await expect(t.useCase.execute(t.command(t.job()))).rejects.toBeInstanceOf(RetryableProviderError);
    expect(t.marks.size).toBe(0);
    expect(t.events).toHaveLength(0);
  });

  describe('after a request whose answer was lost', () => {
    const timedOut = () => classifyTwilioError(Object.assign(new Error('timeout of 10000ms exceeded'), { code: 'ECONNABORTED' }), 'twilio-sms');

    it('records the attempt, then on the retry finds the SMS at the provider and sends nothing again', async () => {
      const t = setup(async () => {
        throw timedOut();
      });
      await expect(t.useCase.execute(t.command(t.job()))).rejects.toBeInstanceOf(RetryableProviderError);
      expect(t.attemptRecords.get('ch1')).toEqual({ firstAt: NOW, lastAt: NOW, unconfirmed: 1 });

      t.provider.lookup = async () => ({ providerRef: 'SMlate' });
      await expect(t.useCase.execute(t.command(t.job()))).resolves.toBe('already-delivered');
      expect(t.sent).toHaveLength(1);
      expect(t.lookups).toEqual([{ to: TO, since: new Date(NOW - 5_000), containing: CODE }]);
      expect(t.marks.get('ch1')).toBe('SMlate');
      expect(t.events).toEqual([{ jobId: 'ch1.sent', event: { v: 1, type: 'delivery.sent', challengeId: 'ch1', provider: 'twilio-sms', providerRef: 'SMlate' } }]);
    });

    it('retries later without sending when the lookup itself fails', async () => {
      const t = setup();
      t.attemptRecords.set('ch1', { firstAt: NOW - 12_000, lastAt: NOW - 12_000, unconfirmed: 1 });
      t.provider.lookup = async () => {
        throw new RetryableProviderError('Twilio could not be reached (ECONNRESET)', 'twilio-sms');
      };
      await expect(t.useCase.execute(t.command(t.job()))).rejects.toBeInstanceOf(RetryableProviderError);
      expect(t.sent).toHaveLength(0);
      expect(t.events).toHaveLength(0);
    });

    it(`sends again when the provider has nothing, but never more than ${MAX_UNCONFIRMED_SENDS} times unconfirmed`, async () => {
      const t = setup(async () => {
        throw timedOut();
      });
      for (let i = 0; i < 5; i++) await t.useCase.execute(t.command(t.job())).catch(() => undefined);
      expect(t.sent).toHaveLength(MAX_UNCONFIRMED_SENDS);
      expect(t.lookups.length).toBe(4);
      expect(t.attemptRecords.get('ch1')).toEqual({ firstAt: NOW, lastAt: NOW, unconfirmed: MAX_UNCONFIRMED_SENDS });
    });

    it(`past the cap, sends again once the provider still has nothing ${UNCONFIRMED_SETTLE_MS / 1000} s after the latest request`, async () => {
      const t = setup();
      t.attemptRecords.set('ch1', { firstAt: NOW - 120_000, lastAt: NOW - UNCONFIRMED_SETTLE_MS + 1_000, unconfirmed: MAX_UNCONFIRMED_SENDS });
      await expect(t.useCase.execute(t.command(t.job()))).rejects.toBeInstanceOf(RetryableProviderError);
      expect(t.sent).toHaveLength(0);
      t.attemptRecords.set('ch1', { firstAt: NOW - 120_000, lastAt: NOW - UNCONFIRMED_SETTLE_MS, unconfirmed: MAX_UNCONFIRMED_SENDS });
      await expect(t.useCase.execute(t.command(t.job()))).resolves.toBe('sent');
      expect(t.sent).toHaveLength(1);
    });

    it('looks nothing up after a failure that certainly created nothing (429, refused connection)', async () => {
      let failures = [
        classifyTwilioError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'twilio-sms'),
        new RetryableProviderError('Twilio throttled the request (HTTP 429)', 'twilio-sms', 1_000),
      ];
      const t = setup(async () => {
        const next = failures[0];
        failures = failures.slice(1);
        if (next) throw next;
        return { providerRef: 'SM3' };
      });
      for (let i = 0; i < 3; i++) await t.useCase.execute(t.command(t.job())).catch(() => undefined);
      expect(t.sent).toHaveLength(3);
      expect(t.lookups).toHaveLength(0);
      expect(t.marks.get('ch1')).toBe('SM3');
    });
  });

  it('fails permanently on a sealed content that does not open', async () => {
    const t = setup();
    const error = await t.useCase.execute(t.command(t.job({ sealed: 'v1.t1.AAAA' }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(t.sent).toHaveLength(0);
  });

  it('reports final failures: the permanent reason, or provider unavailable after retries', async () => {
    const t = setup();
    await t.useCase.reportFinalFailure(t.job(), new PermanentProviderError('the phone number is not a valid phone number', 'twilio-sms'));
    await t.useCase.reportFinalFailure(t.job({ challengeId: 'ch2' }), new RetryableProviderError('Twilio answered HTTP 500', 'twilio-sms'));
    expect(t.events.map((e) => e.event)).toEqual([
      { v: 1, type: 'delivery.failed', challengeId: 'ch1', provider: 'twilio-sms', reason: 'the phone number is not a valid phone number', permanent: true },
      { v: 1, type: 'delivery.failed', challengeId: 'ch2', provider: 'twilio-sms', reason: RETRIES_EXHAUSTED_REASON, permanent: false },
    ]);
  });

  it('never logs the code or the full number, whatever happens', async () => {
    const ok = setup();
    await ok.useCase.execute(ok.command(ok.job()));
    const failing = setup(async () => {
      throw new PermanentProviderError('the phone number is not a valid phone number', 'twilio-sms');
    });
    await failing.useCase.execute(failing.command(failing.job())).catch(() => undefined);
    const output = [...ok.lines, ...failing.lines].join('');
    expect(ok.lines.length).toBeGreaterThan(0);
    expect(failing.lines.some((line) => line.includes('"level":"error"') && line.includes('ch1'))).toBe(true);
    expect(output).not.toContain(CODE);
    expect(output).not.toContain(TO);
    expect(output).not.toContain(TO.slice(1));
    expect(output).toContain('+49 *** *** 6789');
  });
});
