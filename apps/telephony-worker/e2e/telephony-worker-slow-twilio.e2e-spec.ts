import { randomBytes, randomInt } from 'node:crypto';
import { Queue } from 'bullmq';
import twilio from 'twilio';
import { Keyring } from '@mfa/crypto';
import { RedirectingRequestClient, TwilioFake } from '@mfa/fakes';
import { createBullConnection, JobIds, JobProducer, QueueName, sealedDeliveryAad, type ChallengeEventJob, type DeliveryJob, type RedisConnection } from '@mfa/queue';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { TELEPHONY_DEFAULT_CONCURRENCY, TELEPHONY_WORKER_NAME, createTelephonyWorker } from '../src/telephony.worker';

/**
 * Twilio accepts but answers after the worker's request timeout (shortened here to 300 ms): the
 * retry must find the accepted message or call at Twilio instead of sending it again.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FROM = '+15005550006';
const TIMEOUT_MS = 300;
const SLOW_MS = 1_500;
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
let sequence = 0;

function newDelivery(channel: 'sms' | 'voice' = 'sms') {
  sequence += 1;
  const challengeId = `ch-${runId}-${sequence}`;
  const to = `+49151${String(randomInt(10_000_000, 99_999_999))}`;
  const code = String(randomInt(10_000_000, 99_999_999));
  const payload: DeliveryJob = {
    v: 1,
    challengeId,
    channel,
    sealed: keyring.encrypt(JSON.stringify({ to, code }), sealedDeliveryAad(challengeId)),
    ttlSeconds: 300,
    locale: 'en-US',
    purpose: 'challenge',
    issuer: 'Acme',
  };
  return { challengeId, jobId: JobIds.delivery(challengeId), to, code, payload };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const eventOf = (jobId: string): Promise<ChallengeEventJob> =>
  waitFor(`event ${jobId}`, async () => (await events.getJob(jobId))?.data as ChallengeEventJob | undefined);
const completed = (jobId: string) =>
  waitFor(`job ${jobId} completed`, async () => ((await telephony.getJobState(jobId)) === 'completed' ? (await telephony.getJob(jobId)) ?? undefined : undefined));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  worker = await startWorker(
    createTelephonyWorker(env, { twilioTimeoutMs: TIMEOUT_MS }),
    loadWorkerConfig(TELEPHONY_WORKER_NAME, TELEPHONY_DEFAULT_CONCURRENCY, env),
    '127.0.0.1',
  );
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

beforeEach(() => fake.reset());

describe('telephony worker when Twilio answers after the request timeout', () => {
  it('sends the SMS once and reports it sent, with the SID of the late-accepted message', async () => {
    fake.answerSlowly(10, SLOW_MS); // every create stays slow: a resend would time out again
    const delivery = newDelivery();
    await producer.add(QueueName.Telephony, delivery.jobId, delivery.payload);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    const job = await completed(delivery.jobId);
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
    const delivery = newDelivery('voice');
    await producer.add(QueueName.Telephony, delivery.jobId, delivery.payload);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    await completed(delivery.jobId);
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
    const job = await completed(delivery.jobId);
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
    await connection.hset(`${prefix}:telephony-attempt:${delivery.challengeId}`, { firstAt: String(startedAt), unconfirmed: '1' });
    await producer.add(QueueName.Telephony, delivery.jobId, delivery.payload);

    const event = await eventOf(JobIds.sent(delivery.challengeId));
    await completed(delivery.jobId);
    expect(event).toMatchObject({ type: 'delivery.sent', providerRef: accepted.sid });
    expect(fake.messages.filter((m) => m.to === delivery.to)).toHaveLength(1);
  });
});
