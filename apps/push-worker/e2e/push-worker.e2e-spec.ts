import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { FcmFake } from '@mfa/fakes';
import { createBullConnection, JobIds, JobProducer, QueueName, sealedPushTokenAad, type PushJob, type RedisConnection } from '@mfa/queue';
import { redisContents } from '@mfa/testing';
import { Keyring } from '@mfa/crypto';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { createPushWorker, PUSH_WORKER_NAME } from '../src/push-worker.worker';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('push worker (in process, real Redis, real firebase-admin, FCM fake)', () => {
  const prefix = `{mfa-test-${randomBytes(4).toString('hex')}}`;
  const fake = new FcmFake({ projectId: 'acme-mfa-e2e' });
  const keySpec = Keyring.generateSpec('e2e');
  const keyring = Keyring.parse(keySpec);
  const dir = mkdtempSync(join(tmpdir(), 'push-worker-e2e-'));
  /** Every device token handed to the worker, for the Redis scan at the end. */
  const tokens: string[] = [];
  let worker: StartedWorker;
  let connection: RedisConnection;
  let producer: JobProducer;
  let events: Queue;
  let baseUrl: string;

  const pushQueue = () => producer.queue(QueueName.Push);
  const sendsTo = (token: string) => fake.sendAttempts.filter((a) => a.token === token);

  function newPush(ttlSeconds = 120) {
    const challengeId = `ch_${randomBytes(6).toString('hex')}`;
    const token = `fcm-token-${randomBytes(24).toString('base64url')}`;
    tokens.push(token);
    const job: PushJob = { v: 1, challengeId, factorId: `fac_${randomBytes(4).toString('hex')}`, sealedToken: keyring.encrypt(token, sealedPushTokenAad(challengeId)), ttlSeconds };
    return { challengeId, token, job, jobId: JobIds.push(challengeId) };
  }

  const eventJob = (jobId: string) => eventually(async () => (await events.getJob(jobId)) ?? undefined, `event ${jobId}`);
  const finished = (jobId: string) =>
    eventually(async () => {
      const job = await pushQueue().getJob(jobId);
      const state = job ? await job.getState() : undefined;
      return job && (state === 'completed' || state === 'failed') ? { job, state } : undefined;
    }, `job ${jobId} to finish`);

  beforeAll(async () => {
    await fake.start();
    const env = {
      HTTP_PORT: '0',
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      MFA_ENCRYPTION_KEYS: keySpec,
      FIREBASE_PROJECT_ID: fake.projectId,
      GOOGLE_APPLICATION_CREDENTIALS: fake.writeServiceAccountFile(dir),
      FCM_API_BASE_URL: fake.url,
    };
    worker = await startWorker(createPushWorker(env), loadWorkerConfig(PUSH_WORKER_NAME, 64, env), '127.0.0.1');
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
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs with the default concurrency of 64', () => {
    expect(worker.context.config.concurrency).toBe(64);
  });

  it('delivers one push carrying only the challenge id (data on Android, a generic alert on iOS), high priority, TTL = challenge lifetime', async () => {
    const push = newPush(120);
    await producer.add(QueueName.Push, push.jobId, push.job);

    const sent = await eventJob(JobIds.sent(push.challengeId));
    const received = await fake.waitFor((m) => m.token === push.token);
    expect(received.data).toEqual({ challenge_id: push.challengeId });
    expect(received.message).not.toHaveProperty('notification');
    expect(Object.keys(received.message).sort()).toEqual(['android', 'apns', 'data', 'token']);
    expect(received.message.android?.priority).toBe('high');
    const ttl = Number.parseInt(received.message.android?.ttl ?? '', 10);
    expect(ttl).toBeGreaterThan(110);
    expect(ttl).toBeLessThanOrEqual(120);
    expect(received.message.apns?.headers).toMatchObject({ 'apns-push-type': 'alert', 'apns-priority': '10', 'apns-collapse-id': push.challengeId });
    expect(received.message.apns?.payload?.aps).toEqual({ alert: { title: 'Sign-in request', body: 'Open to approve or deny.' }, sound: 'default', 'mutable-content': 1, category: 'MFA_CHALLENGE' });
    expect(sent.data).toEqual({ v: 1, type: 'delivery.sent', challengeId: push.challengeId, provider: 'fcm', providerRef: received.name });
    await expect(finished(push.jobId)).resolves.toMatchObject({ state: 'completed' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sendsTo(push.token)).toHaveLength(1);
  });

  it('reports a dead token as push.token_invalid and does not retry (one send, no delivery.failed)', async () => {
    const push = newPush();
    fake.markTokenDead(push.token);
    await producer.add(QueueName.Push, push.jobId, push.job);

    const invalid = await eventJob(JobIds.tokenInvalid(push.challengeId));
    expect(invalid.data).toEqual({ v: 1, type: 'push.token_invalid', challengeId: push.challengeId, factorId: push.job.factorId, provider: 'fcm' });
    const { job, state } = await finished(push.jobId);
    expect(state).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    expect(sendsTo(push.token)).toHaveLength(1);
    expect(await events.getJob(JobIds.failed(push.challengeId))).toBeUndefined();
    expect(await events.getJob(JobIds.sent(push.challengeId))).toBeUndefined();
  });

  it('retries a 500 and delivers exactly once', async () => {
    const push = newPush();
    fake.failNext(1, 'internal');
    await producer.add(QueueName.Push, push.jobId, push.job);

    await eventJob(JobIds.sent(push.challengeId));
    const { job, state } = await finished(push.jobId);
    expect(state).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    expect(sendsTo(push.token).map((a) => a.status)).toEqual([500, 200]);
    expect(fake.messages.filter((m) => m.token === push.token)).toHaveLength(1);
    expect(await events.getJob(JobIds.failed(push.challengeId))).toBeUndefined();
  });

  it('fails at once on a credential error: delivery.failed permanent, no retry', async () => {
    const push = newPush();
    fake.failNext(1, 'sender_id_mismatch');
    await producer.add(QueueName.Push, push.jobId, push.job);

    const failed = await eventJob(JobIds.failed(push.challengeId));
    expect(failed.data).toEqual({
      v: 1,
      type: 'delivery.failed',
      challengeId: push.challengeId,
      provider: 'fcm',
      reason: 'the device is registered with another Firebase project',
      permanent: true,
    });
    const { job, state } = await finished(push.jobId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(sendsTo(push.token)).toHaveLength(1);
    expect(await events.getJob(JobIds.tokenInvalid(push.challengeId))).toBeUndefined();
  });

  it('sends nothing for a job whose challenge expired before it was taken, and reports why', async () => {
    const push = newPush(60);
    await pushQueue().add(QueueName.Push, push.job, { jobId: push.jobId, timestamp: Date.now() - 61_000 });

    const failed = await eventJob(JobIds.failed(push.challengeId));
    expect(failed.data).toMatchObject({ reason: 'push expired before it could be delivered', permanent: true });
    await expect(finished(push.jobId)).resolves.toMatchObject({ state: 'failed' });
    expect(sendsTo(push.token)).toHaveLength(0);
  });

  it('sends nothing again for a job whose delivered marker is set', async () => {
    const push = newPush();
    await connection.set(`${prefix}:delivered:${push.challengeId}`, JSON.stringify({ providerRef: 'projects/acme-mfa-e2e/messages/earlier' }), 'EX', 120);
    await producer.add(QueueName.Push, push.jobId, push.job);

    const sent = await eventJob(JobIds.sent(push.challengeId));
    expect(sent.data).toMatchObject({ providerRef: 'projects/acme-mfa-e2e/messages/earlier' });
    expect(sendsTo(push.token)).toHaveLength(0);
  });

  it('leaves no plaintext device token anywhere in Redis', async () => {
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    const contents = await redisContents(connection, prefix);
    expect(contents.size).toBeGreaterThan(0);
    const dump: string[] = [...contents.values()];
    const jobs: Job[] = [
      ...(await pushQueue().getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])),
      ...(await events.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])),
    ];
    expect(jobs.length).toBeGreaterThan(0);
    dump.push(...jobs.map((job) => JSON.stringify({ data: job.data, failedReason: job.failedReason, stacktrace: job.stacktrace })));
    const everything = dump.join('\n');
    for (const token of tokens) expect(everything).not.toContain(token);
  });

  it('serves mfa_jobs_processed_total and mfa_provider_requests_total on /metrics', async () => {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(text).toMatch(/^mfa_jobs_processed_total\{[^}]*queue="push"[^}]*outcome="completed"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_jobs_processed_total\{[^}]*queue="push"[^}]*outcome="retry"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_jobs_processed_total\{[^}]*queue="push"[^}]*outcome="failed"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_provider_requests_total\{[^}]*provider="fcm"[^}]*outcome="ok"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_provider_requests_total\{[^}]*provider="fcm"[^}]*outcome="retryable"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^mfa_provider_requests_total\{[^}]*provider="fcm"[^}]*outcome="permanent"[^}]*\} [1-9]/m);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });
});
