import { Writable } from 'node:stream';
import { Keyring } from '@mfa/crypto';
import { createLogger, createMetricsRegistry, WorkerMetrics } from '@mfa/observability';
import { type ChallengeEventJob, type DeliveredMarker, type DeliveredMarkers, PermanentProviderError, type PushJob, RETRIES_EXHAUSTED_REASON, RetryableProviderError, sealedPushTokenAad, UndeliverableJobError } from '@mfa/queue';
import { PUSH_EXPIRED_REASON, UNREADABLE_JOB_REASON } from './delivery-failure';
import { DeadPushTokenError, type PushMessage, type PushProvider, type PushSendResult } from './providers/push.provider';
import { SendPushCommand } from './send-push.command';
import { SendPushUseCase } from './send-push.usecase';

const TOKEN = 'fcm-registration-token-of-annas-phone';
const NOW = 1_700_000_000_000;
const keyring = Keyring.parse(Keyring.generateSpec('k1'));

class MemoryMarkers implements DeliveredMarkers {
  readonly entries = new Map<string, { marker: DeliveredMarker; ttlSeconds: number }>();
  async lookup(challengeId: string) {
    return { delivered: this.entries.get(challengeId)?.marker, ended: false };
  }
  async mark(challengeId: string, marker: DeliveredMarker, ttlSeconds: number) {
    this.entries.set(challengeId, { marker, ttlSeconds });
  }
}

class ScriptedProvider implements PushProvider {
  readonly name = 'fcm';
  readonly sent: PushMessage[] = [];
  readonly failures: Error[] = [];
  async send(message: PushMessage): Promise<PushSendResult> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(message);
    return { providerRef: `projects/p/messages/${this.sent.length}` };
  }
  async close() {}
}

function setup() {
  const lines: string[] = [];
  const logger = createLogger('push-worker', new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }), 'debug');
  const events: { jobId: string; payload: ChallengeEventJob }[] = [];
  const markers = new MemoryMarkers();
  const provider = new ScriptedProvider();
  const metrics = new WorkerMetrics(createMetricsRegistry());
  let now = NOW;
  const usecase = new SendPushUseCase({
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

function command(overrides: Partial<PushJob> = {}, queuedAt = NOW - 1_000): SendPushCommand {
  const challengeId = overrides.challengeId ?? 'ch_1';
  const job: PushJob = { v: 1, challengeId, factorId: 'fac_1', sealedToken: keyring.encrypt(TOKEN, sealedPushTokenAad(challengeId)), ttlSeconds: 120, ...overrides };
  return SendPushCommand.create(job, { jobId: `${challengeId}.push`, queuedAt });
}

describe('SendPushUseCase', () => {
  it('sends the push once with the challenge expiry, marks it delivered and reports delivery.sent', async () => {
    const { usecase, provider, markers, events } = setup();
    await expect(usecase.execute(command())).resolves.toBe('sent');
    expect(provider.sent).toEqual([{ token: TOKEN, challengeId: 'ch_1', expiresAt: NOW - 1_000 + 120_000 }]);
    expect(markers.entries.get('ch_1')).toEqual({ marker: { providerRef: 'projects/p/messages/1' }, ttlSeconds: 120 });
    expect(events).toEqual([{ jobId: 'ch_1.sent', payload: { v: 1, type: 'delivery.sent', challengeId: 'ch_1', provider: 'fcm', providerRef: 'projects/p/messages/1' } }]);
  });

  it('reports a dead token as push.token_invalid and ends the job without a failure', async () => {
    const { usecase, provider, events, metrics } = setup();
    provider.failures.push(new DeadPushTokenError('fcm', 'messaging/registration-token-not-registered'));
    await expect(usecase.execute(command())).resolves.toBe('token-invalid');
    expect(events).toEqual([{ jobId: 'ch_1.token-invalid', payload: { v: 1, type: 'push.token_invalid', challengeId: 'ch_1', factorId: 'fac_1', provider: 'fcm' } }]);
    const counts = (await metrics.providerRequests.get()).values.map((v) => [v.labels.outcome, v.value]);
    expect(counts).toEqual([['permanent', 1]]);
  });

  it('sends nothing for an expired challenge and fails the job for good', async () => {
    const { usecase, provider, setNow } = setup();
    setNow(NOW + 120_000);
    const error = await usecase.execute(command({}, NOW)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UndeliverableJobError);
    expect((error as UndeliverableJobError).reason).toBe(PUSH_EXPIRED_REASON);
    expect(provider.sent).toHaveLength(0);
  });

  it('does not send again when the marker says the provider already accepted it', async () => {
    const { usecase, provider, markers, events } = setup();
    await markers.mark('ch_1', { providerRef: 'projects/p/messages/earlier' }, 120);
    await expect(usecase.execute(command())).resolves.toBe('already-sent');
    expect(provider.sent).toHaveLength(0);
    expect(events[0]?.payload).toMatchObject({ type: 'delivery.sent', providerRef: 'projects/p/messages/earlier' });
  });

  it('lets retryable and permanent provider errors through to BullMQ', async () => {
    const { usecase, provider, events } = setup();
    provider.failures.push(new RetryableProviderError('fcm: temporary failure (messaging/internal-error)', 'fcm'));
    provider.failures.push(new PermanentProviderError('FCM refused the service account credentials', 'fcm'));
    await expect(usecase.execute(command())).rejects.toBeInstanceOf(RetryableProviderError);
    await expect(usecase.execute(command())).rejects.toBeInstanceOf(PermanentProviderError);
    expect(events).toHaveLength(0);
  });

  it.each([
    ['a permanent provider error', new PermanentProviderError('FCM refused the service account credentials', 'fcm'), 'FCM refused the service account credentials', true],
    ['an expired challenge', new UndeliverableJobError(PUSH_EXPIRED_REASON), PUSH_EXPIRED_REASON, true],
    ['retries running out', new RetryableProviderError('fcm: temporary failure', 'fcm'), RETRIES_EXHAUSTED_REASON, false],
  ])('reports delivery.failed for %s', async (_name, error, reason, permanent) => {
    const { usecase, events } = setup();
    await usecase.reportFailure('ch_1', error, 'ch_1.push');
    expect(events).toEqual([{ jobId: 'ch_1.failed', payload: { v: 1, type: 'delivery.failed', challengeId: 'ch_1', provider: 'fcm', reason, permanent } }]);
  });

  it('fails for good, sending nothing, when the envelope belongs to another challenge', async () => {
    const { usecase, provider } = setup();
    const foreign = command({ challengeId: 'ch_other' }).sealedToken;
    await expect(usecase.execute(command({ sealedToken: foreign }))).rejects.toMatchObject({ reason: UNREADABLE_JOB_REASON });
    expect(provider.sent).toHaveLength(0);
  });

  it('never logs the device token, on success, dead token or failure', async () => {
    const { usecase, provider, lines } = setup();
    await usecase.execute(command({ challengeId: 'ch_ok' }));
    provider.failures.push(new DeadPushTokenError('fcm', 'messaging/registration-token-not-registered'));
    await usecase.execute(command({ challengeId: 'ch_dead' }));
    provider.failures.push(new PermanentProviderError('FCM refused the service account credentials', 'fcm'));
    await usecase.execute(command({ challengeId: 'ch_bad' })).catch(() => undefined);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.find((l) => l.includes('ch_bad') && l.includes('"level":"error"'))).toBeDefined();
  });
});
