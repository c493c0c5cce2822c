import { Writable } from 'node:stream';
import { Keyring } from '@mfa/crypto';
import { createLogger, createMetricsRegistry, WorkerMetrics } from '@mfa/observability';
import { type ChallengeEventJob, type DeliveredMarker, type DeliveredMarkers, type DeliveryJob, PermanentProviderError, RETRIES_EXHAUSTED_REASON, RetryableProviderError, sealedDeliveryAad, UndeliverableJobError } from '@mfa/queue';
import { DeliverCodeCommand } from './deliver-code.command';
import { DeliverCodeUseCase } from './deliver-code.usecase';
import { CODE_EXPIRED_REASON, UNREADABLE_JOB_REASON } from './delivery-failure';
import type { EmailMessage, EmailProvider, EmailSendResult } from './providers/email.provider';

const TO = 'anna.schmidt@example.com';
const CODE = '482913';
const NOW = 1_700_000_000_000;
const keyring = Keyring.parse(Keyring.generateSpec('k1'));

class MemoryMarkers implements DeliveredMarkers {
  readonly entries = new Map<string, { marker: DeliveredMarker; ttlSeconds: number }>();
  readonly ended = new Set<string>();
  failWrites = false;
  async lookup(challengeId: string) {
    return { delivered: this.entries.get(challengeId)?.marker, ended: this.ended.has(challengeId) };
  }
  async mark(challengeId: string, marker: DeliveredMarker, ttlSeconds: number) {
    if (this.failWrites) throw new Error('Redis is down');
    this.entries.set(challengeId, { marker, ttlSeconds });
  }
}

class ScriptedProvider implements EmailProvider {
  readonly name = 'smtp';
  readonly sent: EmailMessage[] = [];
  readonly failures: Error[] = [];
  async send(message: EmailMessage): Promise<EmailSendResult> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(message);
    return { providerRef: `<m${this.sent.length}@mfa.example>` };
  }
  async close() {}
}

function setup() {
  const lines: string[] = [];
  const logger = createLogger(
    'email-worker',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
    'debug',
  );
  const events: { jobId: string; payload: ChallengeEventJob }[] = [];
  const markers = new MemoryMarkers();
  const provider = new ScriptedProvider();
  const metrics = new WorkerMetrics(createMetricsRegistry());
  let now = NOW;
  const usecase = new DeliverCodeUseCase({
    keyring,
    provider,
    markers,
    events: { add: async (_queue, jobId, payload) => void events.push({ jobId, payload: payload as ChallengeEventJob }) },
    metrics,
    logger,
    now: () => now,
  });
  return { usecase, lines, events, markers, provider, metrics, setNow: (value: number) => (now = value) };
}

function command(overrides: Partial<DeliveryJob> = {}, queuedAt = NOW - 1_000): DeliverCodeCommand {
  const challengeId = overrides.challengeId ?? 'ch_1';
  const job: DeliveryJob = {
    v: 1,
    challengeId,
    channel: 'email',
    sealed: keyring.encrypt(JSON.stringify({ to: TO, code: CODE }), sealedDeliveryAad(challengeId)),
    ttlSeconds: 300,
    locale: 'de-AT',
    purpose: 'challenge',
    issuer: 'Acme',
    ...overrides,
  };
  return DeliverCodeCommand.create(job, { jobId: `${challengeId}.delivery`, queuedAt });
}

describe('DeliverCodeUseCase', () => {
  it('sends the localized code e-mail once, marks it delivered for the code lifetime and reports delivery.sent', async () => {
    const { usecase, provider, markers, events } = setup();

    await expect(usecase.execute(command())).resolves.toBe('sent');

    expect(provider.sent).toHaveLength(1);
    expect(provider.sent[0]).toMatchObject({ to: TO, subject: 'Ihr Bestätigungscode für Acme' });
    expect(provider.sent[0].text).toContain(CODE);
    expect(markers.entries.get('ch_1')).toEqual({ marker: { providerRef: '<m1@mfa.example>' }, ttlSeconds: 300 });
    expect(events).toEqual([
      { jobId: 'ch_1.sent', payload: { v: 1, type: 'delivery.sent', challengeId: 'ch_1', provider: 'smtp', providerRef: '<m1@mfa.example>' } },
    ]);
  });

  it('sends nothing for an expired code and fails the job for good with "code expired…"', async () => {
    const { usecase, provider, setNow } = setup();
    setNow(NOW + 300_000);

    const error = await usecase.execute(command({}, NOW)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UndeliverableJobError);
    expect((error as UndeliverableJobError).reason).toBe(CODE_EXPIRED_REASON);
    expect(provider.sent).toHaveLength(0);
  });

  it('does not send again when the marker says the provider already accepted it, and re-reports delivery.sent', async () => {
    const { usecase, provider, markers, events } = setup();
    await markers.mark('ch_1', { providerRef: '<earlier@mfa.example>' }, 300);

    await expect(usecase.execute(command())).resolves.toBe('already-sent');

    expect(provider.sent).toHaveLength(0);
    expect(events).toEqual([{ jobId: 'ch_1.sent', payload: expect.objectContaining({ type: 'delivery.sent', providerRef: '<earlier@mfa.example>' }) }]);
  });

  it('sends nothing and reports nothing for a challenge the gateway marked ended after the code was drawn', async () => {
    const { usecase, provider, markers, events } = setup();
    markers.ended.add('ch_1');

    await expect(usecase.execute(command())).resolves.toBe('withdrawn');

    expect(provider.sent).toHaveLength(0);
    expect(events).toEqual([]);
  });

  it('reports no failure for an ended challenge whose code has expired: it was withdrawn, not failed', async () => {
    const { usecase, provider, markers, events } = setup();
    markers.ended.add('ch_1');

    await expect(usecase.execute(command({}, NOW - 301_000))).resolves.toBe('withdrawn');

    expect(provider.sent).toHaveLength(0);
    expect(events).toEqual([]);
  });

  it('still reports delivery.sent when the marker cannot be written (the mail is out)', async () => {
    const { usecase, markers, events } = setup();
    markers.failWrites = true;
    await expect(usecase.execute(command())).resolves.toBe('sent');
    expect(events.map((e) => e.jobId)).toEqual(['ch_1.sent']);
  });

  it('lets provider errors through to BullMQ and counts them by class', async () => {
    const { usecase, provider, events, metrics } = setup();
    provider.failures.push(new RetryableProviderError('smtp: temporary failure (451)', 'smtp'));
    provider.failures.push(new PermanentProviderError('the mail server refused the recipient address', 'smtp'));

    await expect(usecase.execute(command())).rejects.toBeInstanceOf(RetryableProviderError);
    await expect(usecase.execute(command())).rejects.toBeInstanceOf(PermanentProviderError);

    expect(events).toHaveLength(0);
    const counts = (await metrics.providerRequests.get()).values.map((v) => [v.labels.outcome, v.value]);
    expect(counts).toEqual(expect.arrayContaining([['retryable', 1], ['permanent', 1]]));
  });

  it.each([
    ['a permanent provider error', new PermanentProviderError('the mail server rejected the credentials', 'smtp'), 'the mail server rejected the credentials', true],
    ['an expired code', new UndeliverableJobError(CODE_EXPIRED_REASON), CODE_EXPIRED_REASON, true],
    ['retries running out', new RetryableProviderError('smtp: temporary failure (ETIMEDOUT)', 'smtp'), RETRIES_EXHAUSTED_REASON, false],
  ])('reports delivery.failed for %s', async (_name, error, reason, permanent) => {
    const { usecase, events } = setup();
    await usecase.reportFailure('ch_1', error, 'ch_1.delivery');
    expect(events).toEqual([{ jobId: 'ch_1.failed', payload: { v: 1, type: 'delivery.failed', challengeId: 'ch_1', provider: 'smtp', reason, permanent } }]);
  });

  it('fails for good, sending nothing, when the envelope belongs to another challenge', async () => {
    const { usecase, provider } = setup();
    const foreign = command({ challengeId: 'ch_other' }).sealed;
    await expect(usecase.execute(command({ sealed: foreign }))).rejects.toMatchObject({ reason: UNREADABLE_JOB_REASON });
    expect(provider.sent).toHaveLength(0);
  });

  it('refuses a job of another channel', () => {
    expect(() => command({ channel: 'sms' })).toThrow(UndeliverableJobError);
  });

  it('never logs the code or the full address, on success or failure', async () => {
    const { usecase, provider, lines } = setup();
    await usecase.execute(command({ challengeId: 'ch_ok' }));
    provider.failures.push(new PermanentProviderError('the mail server refused the recipient address', 'smtp'));
    await usecase.execute(command({ challengeId: 'ch_bad' })).catch(() => undefined);
    await usecase.reportFailure('ch_bad', new PermanentProviderError('the mail server refused the recipient address', 'smtp'));

    expect(lines.length).toBeGreaterThanOrEqual(3);
    const log = lines.join('');
    expect(log).not.toContain(CODE);
    expect(log).not.toContain(TO);
    expect(log).not.toContain('anna.schmidt');
    expect(log).toContain('a***@example.com');
    expect(lines.find((l) => l.includes('ch_bad') && l.includes('"level":"error"'))).toBeDefined();
  });
});
