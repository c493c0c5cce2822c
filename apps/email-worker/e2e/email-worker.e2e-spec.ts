import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Queue, type Job } from 'bullmq';
import { SmtpFake } from '@mfa/fakes';
import { createBullConnection, JobIds, JobProducer, QueueName, sealedDeliveryAad, type ChallengePurpose, type DeliveryJob, type RedisConnection } from '@mfa/queue';
import { redisContents } from '@mfa/testing';
import { Keyring } from '@mfa/crypto';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { createEmailWorker, EMAIL_WORKER_NAME } from '../src/email-worker.worker';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const AUTH = { user: 'mfa', password: 's3cret' };

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('email worker (in process, real Redis, real nodemailer, SMTP fake)', () => {
  const prefix = `{mfa-test-${randomBytes(4).toString('hex')}}`;
  const fake = new SmtpFake({ auth: AUTH });
  const keySpec = Keyring.generateSpec('e2e');
  /** The test seals with the worker's own key, as the otp worker would. */
  const keyring = Keyring.parse(keySpec);
  /** Every code and address handed to the worker, for the Redis scan at the end. */
  const secrets: string[] = [];
  let worker: StartedWorker;
  let connection: RedisConnection;
  let producer: JobProducer;
  let events: Queue;
  let baseUrl: string;

  const emailQueue = () => producer.queue(QueueName.Email);
  /** The client connections the fake holds (smtp-server's own set; the fake does not expose it). */
  const fakeServerConnections = () => (fake as unknown as { server?: { connections: Set<{ close(): void }> } }).server?.connections ?? new Set();
  const fakeConnections = () => fakeServerConnections().size;
  const mailsTo = (to: string) => fake.mails.filter((mail) => mail.to.includes(to));

  function newDelivery(options: { locale?: string; purpose?: ChallengePurpose; ttlSeconds?: number } = {}) {
    const challengeId = `ch_${randomBytes(6).toString('hex')}`;
    const to = `user.${challengeId}@example.org`;
    const code = String(randomInt(10_000_000, 100_000_000));
    secrets.push(to, code);
    const job: DeliveryJob = {
      v: 1,
      challengeId,
      channel: 'email',
      sealed: keyring.encrypt(JSON.stringify({ to, code }), sealedDeliveryAad(challengeId)),
      ttlSeconds: options.ttlSeconds ?? 300,
      locale: options.locale ?? 'en',
      purpose: options.purpose ?? 'challenge',
      issuer: 'Acme',
    };
    return { challengeId, to, code, job, jobId: JobIds.delivery(challengeId) };
  }

  const eventJob = (jobId: string) => eventually(async () => (await events.getJob(jobId)) ?? undefined, `event ${jobId}`);
  const finished = (jobId: string) =>
    eventually(async () => {
      const job = await emailQueue().getJob(jobId);
      const state = job ? await job.getState() : undefined;
      return job && (state === 'completed' || state === 'failed') ? { job, state } : undefined;
    }, `job ${jobId} to finish`);

  async function providerRequests(outcome: string): Promise<number> {
    const metric = await worker.context.metrics.providerRequests.get();
    return metric.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  }

  beforeAll(async () => {
    await fake.start();
    const env = {
      HTTP_PORT: '0',
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      MFA_ENCRYPTION_KEYS: keySpec,
      SMTP_URL: fake.url,
      MAIL_FROM: '"Acme Security" <no-reply@mfa.example>',
    };
    worker = await startWorker(createEmailWorker(env), loadWorkerConfig(EMAIL_WORKER_NAME, 16, env), '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(worker.app.getHttpServer().address() as AddressInfo).port}`;
    connection = createBullConnection(REDIS_URL);
    producer = new JobProducer(connection, prefix);
    events = new Queue(QueueName.Events, { connection, prefix });
  });

  afterAll(async () => {
    await worker?.close();
    await events?.close();
    await producer?.close();
    if (connection) {
      const keys = await connection.keys(`${prefix}*`);
      if (keys.length > 0) await connection.del(...keys);
      await connection.quit();
    }
    await fake.stop();
  });

  it('runs with the default concurrency of 16', () => {
    expect(worker.context.config.concurrency).toBe(16);
  });

  it('delivers a code e-mail once, with text and HTML bodies in the recipient’s language, and reports delivery.sent', async () => {
    const delivery = newDelivery({ locale: 'de-DE' });
    await producer.add(QueueName.Email, delivery.jobId, delivery.job);

    const sent = await eventJob(JobIds.sent(delivery.challengeId));
    const [mail] = mailsTo(delivery.to);
    expect(mail).toMatchObject({ from: 'no-reply@mfa.example', to: [delivery.to], subject: 'Ihr Bestätigungscode für Acme', authUser: AUTH.user });
    expect(mail.subject).not.toContain(delivery.code);
    expect(mail.text).toContain(delivery.code);
    expect(mail.text).toContain('Der Code ist 5 Minuten gültig.');
    expect(mail.html).toContain(delivery.code);
    expect(mail.html).toContain('<html lang="de">');
    expect(sent.data).toEqual({ v: 1, type: 'delivery.sent', challengeId: delivery.challengeId, provider: 'smtp', providerRef: expect.stringMatching(/@mfa\.example>$/) });
    expect(mail.raw).toContain(`Message-ID: ${(sent.data as { providerRef: string }).providerRef}`);
    await expect(finished(delivery.jobId)).resolves.toMatchObject({ state: 'completed' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailsTo(delivery.to)).toHaveLength(1);
  });

  it('falls back to English for an unknown locale and words an enrollment mail as an address check', async () => {
    const delivery = newDelivery({ locale: 'fr-FR', purpose: 'enrollment' });
    await producer.add(QueueName.Email, delivery.jobId, delivery.job);

    await eventJob(JobIds.sent(delivery.challengeId));
    const [mail] = mailsTo(delivery.to);
    expect(mail.subject).toBe('Your Acme verification code');
    expect(mail.text).toContain('confirm this e-mail address for Acme');
  });

  it('retries a 451 (greylisting) and delivers exactly once', async () => {
    const before = { retryable: await providerRequests('retryable'), ok: await providerRequests('ok') };
    fake.failNext(1, { code: 451, message: 'Greylisted, try again later' });
    const delivery = newDelivery();
    await producer.add(QueueName.Email, delivery.jobId, delivery.job);
    await eventually(async () => ((await providerRequests('retryable')) > before.retryable ? true : undefined), 'the refused attempt');

    await eventJob(JobIds.sent(delivery.challengeId));
    const { job, state } = await finished(delivery.jobId);
    expect(state).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    // The fake saw two transactions: one refused, one accepted.
    expect(await providerRequests('retryable')).toBe(before.retryable + 1);
    expect(await providerRequests('ok')).toBe(before.ok + 1);
    expect(mailsTo(delivery.to)).toHaveLength(1);
    expect(await events.getJob(JobIds.failed(delivery.challengeId))).toBeUndefined();
  });

  it('fails at once on a 550 for the recipient: delivery.failed permanent, no retry, nothing delivered', async () => {
    const before = { permanent: await providerRequests('permanent'), retryable: await providerRequests('retryable') };
    fake.failNext(1, { code: 550, message: 'No such user here' });
    const delivery = newDelivery();
    await producer.add(QueueName.Email, delivery.jobId, delivery.job);

    const failed = await eventJob(JobIds.failed(delivery.challengeId));
    expect(failed.data).toEqual({
      v: 1,
      type: 'delivery.failed',
      challengeId: delivery.challengeId,
      provider: 'smtp',
      reason: 'the mail server refused the recipient address',
      permanent: true,
    });
    const { job, state } = await finished(delivery.jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(await providerRequests('permanent')).toBe(before.permanent + 1);
    expect(await providerRequests('retryable')).toBe(before.retryable);
    expect(mailsTo(delivery.to)).toHaveLength(0);
    expect(await events.getJob(JobIds.sent(delivery.challengeId))).toBeUndefined();
  });

  it('sends nothing for a job whose code expired before it was taken, and reports why', async () => {
    const before = await providerRequests('ok');
    const delivery = newDelivery({ ttlSeconds: 60 });
    await emailQueue().add(QueueName.Email, delivery.job, { jobId: delivery.jobId, timestamp: Date.now() - 61_000 });

    const failed = await eventJob(JobIds.failed(delivery.challengeId));
    expect(failed.data).toMatchObject({ reason: 'code expired before it could be delivered', permanent: true });
    await expect(finished(delivery.jobId)).resolves.toMatchObject({ state: 'failed' });
    expect(mailsTo(delivery.to)).toHaveLength(0);
    expect(await providerRequests('ok')).toBe(before);
  });

  it('sends nothing again for a job whose delivered marker is set, and reports delivery.sent', async () => {
    const delivery = newDelivery();
    await connection.set(`${prefix}:delivered:${delivery.challengeId}`, JSON.stringify({ providerRef: '<earlier@mfa.example>' }), 'EX', 300);
    await producer.add(QueueName.Email, delivery.jobId, delivery.job);

    const sent = await eventJob(JobIds.sent(delivery.challengeId));
    expect(sent.data).toMatchObject({ providerRef: '<earlier@mfa.example>' });
    await expect(finished(delivery.jobId)).resolves.toMatchObject({ state: 'completed' });
    expect(mailsTo(delivery.to)).toHaveLength(0);
  });

  it('sets the delivered marker for the code lifetime once the relay accepted the mail', async () => {
    const delivery = newDelivery({ ttlSeconds: 120 });
    await producer.add(QueueName.Email, delivery.jobId, delivery.job);
    await eventJob(JobIds.sent(delivery.challengeId));

    const ttl = await connection.ttl(`${prefix}:delivered:${delivery.challengeId}`);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('leaves no plaintext code or address anywhere in Redis', async () => {
    expect(secrets.length).toBeGreaterThanOrEqual(10);
    const contents = await redisContents(connection, prefix);
    expect(contents.size).toBeGreaterThan(0);
    const dump: string[] = [...contents.values()];
    const jobs: Job[] = [
      ...(await emailQueue().getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])),
      ...(await events.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])),
    ];
    expect(jobs.length).toBeGreaterThan(0);
    dump.push(...jobs.map((job) => JSON.stringify({ data: job.data, failedReason: job.failedReason, stacktrace: job.stacktrace })));
    const everything = dump.join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });

  it('serves mfa_jobs_processed_total and mfa_provider_requests_total on /metrics', async () => {
    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^mfa_jobs_processed_total\{[^}]*queue="email"[^}]*outcome="completed"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_jobs_processed_total\{[^}]*outcome="retry"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_jobs_processed_total\{[^}]*outcome="failed"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_provider_requests_total\{[^}]*provider="smtp"[^}]*outcome="ok"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_provider_requests_total\{[^}]*provider="smtp"[^}]*outcome="permanent"[^}]*\} [1-9]/m);
    expect(text).toContain('mfa_provider_request_duration_seconds_bucket');
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });

  it('closes the pooled SMTP transport when the worker shuts down', async () => {
    // Ends the suite: the worker drains, then lets go of its relay connections.
    expect(fakeConnections()).toBeGreaterThan(0);
    await worker.close();
    await eventually(async () => (fakeConnections() === 0 ? true : undefined), 'the fake to see no connection', 5_000);
    worker = undefined as unknown as StartedWorker;
  });
});
