import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import twilio from 'twilio';
import { Keyring } from '@mfa/crypto';
import { RedirectingRequestClient, TwilioFake } from '@mfa/fakes';
import {
  createBullConnection,
  DEFAULT_JOB_OPTIONS,
  JobIds,
  JobProducer,
  QueueName,
  sealedDeliveryAad,
  type ChallengeEventJob,
  type DeliveryJob,
  type RedisConnection,
} from '@mfa/queue';
import { eventually, redisContents } from '@mfa/testing';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { TELEPHONY_DEFAULT_CONCURRENCY, TELEPHONY_WORKER_NAME, createTelephonyWorker } from '../src/telephony.worker';

/**
 * The worker in-process against the real Redis and the loopback Twilio fake, reached through the
 * real twilio SDK (TWILIO_API_BASE_URL), exactly as `npm start` wires it, but for a shorter
 * request timeout (the last block: Twilio accepting, then answering after it).
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FROM = '+15005550006';
/** The worker's request timeout here: short, so a Twilio that answers later (SLOW_MS) is quick to test. */
const TWILIO_TIMEOUT_MS = 2_000;
const SLOW_MS = 3_000;
const runId = randomBytes(4).toString('hex');
const prefix = `{mfa-test-${runId}}`;
const keySpec = Keyring.generateSpec('e2e');
const keyring = Keyring.parse(keySpec);

const fake = new TwilioFake();
let worker: StartedWorker;
let connection: RedisConnection;
let producer: JobProducer;
let events: Queue;
let telephony: Queue;
let baseUrl: string;

/** Every code and number handed to the worker: none may show up in Redis. */
const secrets: string[] = [];
let sequence = 0;

interface Delivery {
  challengeId: string;
  jobId: string;
  to: string;
  code: string;
  payload: DeliveryJob;
}

function newDelivery(overrides: Partial<Omit<DeliveryJob, 'sealed' | 'challengeId'>> = {}): Delivery {
  sequence += 1;
  const challengeId = `ch-${runId}-${sequence}`;
  const to = `+49151${String(randomInt(10_000_000, 99_999_999))}`;
  const code = String(randomInt(10_000_000, 99_999_999));
  secrets.push(to, code);
  const payload: DeliveryJob = {
    v: 1,
    challengeId,
    channel: 'sms',
    sealed: keyring.encrypt(JSON.stringify({ to, code }), sealedDeliveryAad(challengeId)),
    ttlSeconds: 300,
    locale: 'en-US',
    purpose: 'challenge',
    issuer: 'Acme',
    ...overrides,
  };
  return { challengeId, jobId: JobIds.delivery(challengeId), to, code, payload };
}

async function enqueue(delivery: Delivery): Promise<void> {
  await producer.add(QueueName.Telephony, delivery.jobId, delivery.payload);
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> => eventually(what, probe, timeoutMs);

const eventOf = (jobId: string): Promise<ChallengeEventJob> =>
  waitFor(`event ${jobId}`, async () => (await events.getJob(jobId))?.data as ChallengeEventJob | undefined);

const jobState = (jobId: string, state: 'completed' | 'failed'): Promise<string> =>
  waitFor(`job ${jobId} ${state}`, async () => ((await telephony.getJob(jobId))?.finishedOn && (await telephony.getJobState(jobId)) === state ? state : undefined));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const messagesTo = (to: string) => fake.messages.filter((m) => m.to === to);
const callsTo = (to: string) => fake.calls.filter((c) => c.to === to);

async function providerRequests(provider: string): Promise<Record<string, number>> {
  const metric = await worker.context.metrics.providerRequests.get();
  const counts: Record<string, number> = { ok: 0, retryable: 0, permanent: 0 };
  for (const value of metric.values) if (value.labels.provider === provider) counts[String(value.labels.outcome)] = value.value;
  return counts;
}

beforeAll(async () => {
  await fake.start();
  const env = {
    HTTP_PORT: '0',
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    MFA_ENCRYPTION_KEYS: keySpec,
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_FROM_NUMBER: FROM,
    TWILIO_API_BASE_URL: fake.url,
  };
  worker = await startWorker(createTelephonyWorker(env, { twilioTimeoutMs: TWILIO_TIMEOUT_MS }), loadWorkerConfig(TELEPHONY_WORKER_NAME, TELEPHONY_DEFAULT_CONCURRENCY, env), '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(worker.app.getHttpServer().address() as AddressInfo).port}`;
  connection = createBullConnection(REDIS_URL);
  producer = new JobProducer(connection, prefix);
  events = new Queue(QueueName.Events, { connection, prefix });
  telephony = new Queue(QueueName.Telephony, { connection, prefix });
});

afterAll(async () => {
  await worker?.close();
  await producer?.close();
  await events?.close();
  await telephony?.close();
  if (connection) {
    const keys = await connection.keys(`${prefix}*`);
    if (keys.length > 0) await connection.del(...keys);
    await connection.quit();
  }
  await fake.stop();
});

describe('telephony worker', () => {
  it('runs 32 jobs at a time unless WORKER_CONCURRENCY says otherwise', () => {
    expect(worker.context.config.concurrency).toBe(32);
  });

  it('delivers an SMS code once, with the right text, and reports delivery.sent', async () => {
    const delivery = newDelivery();
    await enqueue(delivery);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    const [message] = messagesTo(delivery.to);
    expect(message).toMatchObject({ from: FROM, body: `Your Acme verification code is ${delivery.code}. It expires in 5 minutes.` });
    expect(event).toEqual({ v: 1, type: 'delivery.sent', challengeId: delivery.challengeId, provider: 'twilio-sms', providerRef: message?.sid });

    const marker = `${prefix}:delivered:${delivery.challengeId}`;
    expect(await connection.get(marker)).toBe(message?.sid);
    const ttl = await connection.ttl(marker);
    expect(ttl).toBeGreaterThan(290);
    expect(ttl).toBeLessThanOrEqual(300);
    await jobState(delivery.jobId, 'completed');
    await sleep(300);
    expect(messagesTo(delivery.to)).toHaveLength(1);
  });

  it('writes a German enrollment SMS that says it confirms the phone number', async () => {
    const delivery = newDelivery({ locale: 'de-AT', purpose: 'enrollment' });
    await enqueue(delivery);
    await eventOf(JobIds.sent(delivery.challengeId));
    expect(messagesTo(delivery.to)[0]?.body).toBe(
      `Ihr Code zur Bestätigung dieser Telefonnummer bei Acme lautet ${delivery.code}. Er läuft in 5 Minuten ab.`,
    );
  });

  it('calls for voice, speaking the code digit by digit, twice, in the locale', async () => {
    const german = newDelivery({ channel: 'voice', locale: 'de-DE' });
    const unknown = newDelivery({ channel: 'voice', locale: 'fr-FR' });
    await enqueue(german);
    await enqueue(unknown);

    const event = await eventOf(JobIds.sent(german.challengeId));
    await eventOf(JobIds.sent(unknown.challengeId));
    const [call] = callsTo(german.to);
    expect(event).toEqual({ v: 1, type: 'delivery.sent', challengeId: german.challengeId, provider: 'twilio-voice', providerRef: call?.sid });
    expect(call?.from).toBe(FROM);
    const spoken = `${[...german.code].join(', ')}.`;
    expect(call?.twiml?.split(`>${spoken}</Say>`)).toHaveLength(3);
    expect(call?.twiml).toContain('<Say language="de-DE" voice="Polly.Marlene">Hallo. Ihr Bestätigungscode für Acme lautet:</Say>');
    expect(call?.twiml).not.toContain('language="en-US"');

    const [fallback] = callsTo(unknown.to);
    expect(fallback?.twiml).toContain('<Say language="en-US"');
    expect(fallback?.twiml?.split(`>${[...unknown.code].join(', ')}.</Say>`)).toHaveLength(3);
    expect(messagesTo(german.to)).toHaveLength(0);
  });

  it('retries after a 429 (Retry-After) and delivers exactly once', async () => {
    const before = await providerRequests('twilio-sms');
    fake.failNext(1, 'too_many_requests');
    const delivery = newDelivery();
    await enqueue(delivery);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    await jobState(delivery.jobId, 'completed');
    expect(messagesTo(delivery.to)).toHaveLength(1);
    expect(event).toMatchObject({ type: 'delivery.sent', providerRef: messagesTo(delivery.to)[0]?.sid });
    // Two requests reached the fake: the throttled one and the accepted one.
    const after = await providerRequests('twilio-sms');
    expect({ retryable: after.retryable - before.retryable, ok: after.ok - before.ok, permanent: after.permanent - before.permanent }).toEqual({
      retryable: 1,
      ok: 1,
      permanent: 0,
    });
    expect(await events.getJob(JobIds.failed(delivery.challengeId))).toBeUndefined();
  });

  it('fails at once on an invalid number: delivery.failed permanent, one request, no retry', async () => {
    const before = await providerRequests('twilio-sms');
    fake.failNext(1, 'invalid_number');
    const delivery = newDelivery();
    await enqueue(delivery);

    const event = await eventOf(JobIds.failed(delivery.challengeId));
    expect(event).toEqual({
      v: 1,
      type: 'delivery.failed',
      challengeId: delivery.challengeId,
      provider: 'twilio-sms',
      reason: 'the phone number is not a valid phone number',
      permanent: true,
    });
    await jobState(delivery.jobId, 'failed');
    await sleep(1_500); // a retry would have come by now (first backoff is at most 1 s)
    const after = await providerRequests('twilio-sms');
    expect(after.permanent - before.permanent).toBe(1);
    expect(after.ok - before.ok + (after.retryable - before.retryable)).toBe(0);
    expect(messagesTo(delivery.to)).toHaveLength(0);
    const job = await telephony.getJob(delivery.jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toBe('the phone number is not a valid phone number');
    expect(await events.getJob(JobIds.sent(delivery.challengeId))).toBeUndefined();
  });

  it('sends nothing for a job whose challenge expired before it ran', async () => {
    const before = await providerRequests('twilio-sms');
    const delivery = newDelivery({ ttlSeconds: 5 });
    // Queued 10 s ago with 5 s to live, as after a long outage of the worker.
    await telephony.add(QueueName.Telephony, delivery.payload, { ...DEFAULT_JOB_OPTIONS, jobId: delivery.jobId, timestamp: Date.now() - 10_000 });

    const event = await eventOf(JobIds.failed(delivery.challengeId));
    expect(event).toEqual({
      v: 1,
      type: 'delivery.failed',
      challengeId: delivery.challengeId,
      provider: 'twilio-sms',
      reason: 'code expired before it could be delivered',
      permanent: true,
    });
    expect(messagesTo(delivery.to)).toHaveLength(0);
    expect(await providerRequests('twilio-sms')).toEqual(before);
  });

  it('sends nothing again for a challenge already marked delivered', async () => {
    const delivery = newDelivery();
    await connection.set(`${prefix}:delivered:${delivery.challengeId}`, `SM${'0'.repeat(32)}`, 'EX', 300);
    await enqueue(delivery);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    expect(event).toMatchObject({ type: 'delivery.sent', providerRef: `SM${'0'.repeat(32)}` });
    await jobState(delivery.jobId, 'completed');
    expect(messagesTo(delivery.to)).toHaveLength(0);
  });

  it('leaves no plaintext code or phone number anywhere in Redis', async () => {
    const contents = await redisContents(connection, prefix);
    expect(contents.size).toBeGreaterThan(0);
    const dump: string[] = [...contents.values()];
    const jobs = [
      ...(await telephony.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])),
      ...(await events.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])),
    ];
    expect(jobs.length).toBeGreaterThan(0);
    dump.push(JSON.stringify(jobs.map((job) => ({ data: job.data, failedReason: job.failedReason, stacktrace: job.stacktrace }))));
    const text = dump.join('\n');
    for (const secret of secrets) {
      // Whole tokens only: an 8-digit code may occur by chance inside a longer timestamp.
      expect(text).not.toMatch(new RegExp(`(?<![0-9A-Za-z])\\+?${secret.replace('+', '')}(?![0-9A-Za-z])`));
    }
  });

  it('exposes job and provider counters on /metrics', async () => {
    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    // prom-client appends the default `service` label after the metric's own labels.
    const sample = (name: string, labels: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(sample('mfa_jobs_processed_total', 'queue="telephony",outcome="completed"')).toBeGreaterThanOrEqual(6);
    expect(sample('mfa_jobs_processed_total', 'queue="telephony",outcome="retry"')).toBe(1);
    expect(sample('mfa_jobs_processed_total', 'queue="telephony",outcome="failed"')).toBe(1);
    expect(sample('mfa_provider_requests_total', 'provider="twilio-sms",outcome="ok"')).toBe(3);
    expect(sample('mfa_provider_requests_total', 'provider="twilio-sms",outcome="retryable"')).toBe(1);
    expect(sample('mfa_provider_requests_total', 'provider="twilio-sms",outcome="permanent"')).toBe(1);
    expect(sample('mfa_provider_requests_total', 'provider="twilio-voice",outcome="ok"')).toBe(2);
    expect(text).toContain('mfa_provider_request_duration_seconds_bucket{');
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });
});

describe('telephony worker when Twilio answers after the request timeout', () => {
  afterEach(() => fake.reset()); // no slow answer or fault left for a later test

  it('sends the SMS once and reports it sent, with the SID of the late-accepted message', async () => {
    fake.answerSlowly(10, SLOW_MS); // every create stays slow: a resend would time out again
    const delivery = newDelivery();
    await producer.add(QueueName.Telephony, delivery.jobId, delivery.payload);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    await jobState(delivery.jobId, 'completed');
    const job = (await telephony.getJob(delivery.jobId))!;
    const messages = fake.messages.filter((m) => m.to === delivery.to);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.body).toContain(delivery.code);
    expect(event).toEqual({ v: 1, type: 'delivery.sent', challengeId: delivery.challengeId, provider: 'twilio-sms', providerRef: messages[0]?.sid });
    expect(job.attemptsMade).toBeGreaterThanOrEqual(1); // the timed-out try counted as a retry
    expect(await connection.get(`${prefix}:delivered:${delivery.challengeId}`)).toBe(messages[0]?.sid);
    await sleep(SLOW_MS); // the late answer arrives; nothing more is sent
    expect(fake.messages.filter((m) => m.to === delivery.to)).toHaveLength(1);
    expect(await events.getJob(JobIds.failed(delivery.challengeId))).toBeUndefined();
  });

  it('places the call once', async () => {
    fake.answerSlowly(10, SLOW_MS);
    const delivery = newDelivery({ channel: 'voice' });
    await producer.add(QueueName.Telephony, delivery.jobId, delivery.payload);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    await jobState(delivery.jobId, 'completed');
    const calls = fake.calls.filter((c) => c.to === delivery.to);
    expect(calls).toHaveLength(1);
    expect(event).toMatchObject({ type: 'delivery.sent', provider: 'twilio-voice', providerRef: calls[0]?.sid });
  });

  it('retries the lookup when it fails instead of sending again', async () => {
    fake.answerSlowly(1, SLOW_MS);
    // The request after the accepted create is the retry's lookup: it fails once.
    const off = fake.onMessage(() => fake.failNext(1, 'server_error'));
    const delivery = newDelivery();
    await producer.add(QueueName.Telephony, delivery.jobId, delivery.payload);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    off();
    await jobState(delivery.jobId, 'completed');
    const job = (await telephony.getJob(delivery.jobId))!;
    const messages = fake.messages.filter((m) => m.to === delivery.to);
    expect(messages).toHaveLength(1);
    expect(event).toMatchObject({ type: 'delivery.sent', providerRef: messages[0]?.sid });
    expect(job.attemptsMade).toBeGreaterThanOrEqual(2);
  });

  it('after a worker died mid-request (attempt recorded, no answer), finds the message instead of resending', async () => {
    const delivery = newDelivery();
    // What the dead worker left: its attempt record, and the message Twilio accepted.
    const sdk = twilio(fake.accountSid, fake.authToken, { autoRetry: false, httpClient: new RedirectingRequestClient(fake.url, { autoRetry: false }) });
    const startedAt = Date.now();
    const accepted = await sdk.messages.create({ to: delivery.to, from: FROM, body: `Your Acme verification code is ${delivery.code}.` });
    await connection.hset(`${prefix}:telephony-attempt:${delivery.challengeId}`, { firstAt: String(startedAt), lastAt: String(startedAt), unconfirmed: '1' });
    await producer.add(QueueName.Telephony, delivery.jobId, delivery.payload);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    await jobState(delivery.jobId, 'completed');
    expect(event).toMatchObject({ type: 'delivery.sent', providerRef: accepted.sid });
    expect(fake.messages.filter((m) => m.to === delivery.to)).toHaveLength(1);
  });
});
