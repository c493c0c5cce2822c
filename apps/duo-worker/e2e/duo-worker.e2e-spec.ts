import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Keyring } from '@mfa/crypto';
import { DUO_FAKE_PASSCODE, DUO_FAULTS, DuoFake } from '@mfa/fakes';
import {
  createBullConnection,
  JobIds,
  JobProducer,
  QueueName,
  sealedDuoEnrollUrlAad,
  sealedDuoPasscodeAad,
  sealedDuoUsernameAad,
  type ChallengeEventJob,
  type DuoJob,
  type DuoPasscodeResult,
  type DuoPreauthResult,
  type RedisConnection,
} from '@mfa/queue';
import { eventually, redisContents } from '@mfa/testing';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { DuoAuthClient } from '../src/providers/duo/duo-auth-client';
import { createDuoWorker, DUO_DEFAULT_CONCURRENCY, DUO_WORKER_NAME } from '../src/duo.worker';

/**
 * The worker in-process against the real Redis and the loopback Duo fake, reached through the
 * worker's own signed client (DUO_API_BASE_URL), exactly as `npm start` wires it.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = randomBytes(4).toString('hex');
const prefix = `{mfa-test-${runId}}`;
const keySpec = Keyring.generateSpec('e2e');
const keyring = Keyring.parse(keySpec);

const fake = new DuoFake({ host: 'api-e2e00000.duosecurity.com', answerDelayMs: 300 });
let env: Record<string, string>;
let worker: StartedWorker;
let connection: RedisConnection;
let eventsConnection: RedisConnection;
let producer: JobProducer;
let events: Queue;
let duoQueue: Queue;
let duoEvents: QueueEvents;
let baseUrl: string;

/** Every username, passcode and enrollment portal URL the worker handled: none may show up in Redis. */
const secrets: string[] = [];
let sequence = 0;

function user(behaviour: Parameters<DuoFake['setUser']>[1]): string {
  sequence += 1;
  const username = `user-${runId}-${sequence}@example.com`;
  fake.setUser(username, behaviour);
  secrets.push(username);
  return username;
}

function authJob(username: string, overrides: Partial<Extract<DuoJob, { kind: 'auth' }>> = {}) {
  sequence += 1;
  const challengeId = `ch-${runId}-${sequence}`;
  const factorId = `f-${runId}-${sequence}`;
  const payload: DuoJob = {
    v: 1,
    kind: 'auth',
    challengeId,
    factorId,
    sealedUsername: keyring.encrypt(username, sealedDuoUsernameAad(factorId)),
    factor: 'push',
    ipaddr: '203.0.113.9',
    pushInfo: { application: 'Acme Portal', ip: '203.0.113.9', action: 'login', location: 'Berlin' },
    ttlSeconds: 60,
    ...overrides,
  };
  return { challengeId, jobId: JobIds.duoAuth(challengeId), payload };
}

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => eventually(what, probe, timeoutMs);

const resultOf = (challengeId: string): Promise<ChallengeEventJob> =>
  waitFor(`duo.result of ${challengeId}`, async () => (await events.getJob(JobIds.duoResult(challengeId)))?.data as ChallengeEventJob | undefined);

const jobState = (jobId: string, state: 'completed' | 'failed'): Promise<string> =>
  waitFor(`job ${jobId} ${state}`, async () => ((await duoQueue.getJob(jobId))?.finishedOn && (await duoQueue.getJobState(jobId)) === state ? state : undefined));

const authRequestsFor = (username: string) => fake.requests.filter((r) => r.path === '/auth/v2/auth' && r.params.username === username);

/** What the gateway does for preauth and passcode: add the job and await its return value. */
async function runAndAwait<T>(jobId: string, payload: DuoJob): Promise<T> {
  await producer.add(QueueName.Duo, jobId, payload);
  const job = (await duoQueue.getJob(jobId)) as Job;
  return (await job.waitUntilFinished(duoEvents, 15_000)) as T;
}

function preauthJob(username: string) {
  sequence += 1;
  const factorId = `f-${runId}-${sequence}`;
  return { jobId: `${factorId}.duo-preauth`, payload: { v: 1, kind: 'preauth', factorId, sealedUsername: keyring.encrypt(username, sealedDuoUsernameAad(factorId)) } as DuoJob };
}

function passcodeJob(username: string, passcode: string) {
  sequence += 1;
  const challengeId = `ch-${runId}-${sequence}`;
  const factorId = `f-${runId}-${sequence}`;
  return {
    jobId: `${challengeId}.duo-passcode`,
    payload: {
      v: 1,
      kind: 'passcode',
      challengeId,
      factorId,
      sealedUsername: keyring.encrypt(username, sealedDuoUsernameAad(factorId)),
      sealedPasscode: keyring.encrypt(passcode, sealedDuoPasscodeAad(challengeId)),
    } as DuoJob,
  };
}

beforeAll(async () => {
  await fake.start();
  env = {
    HTTP_PORT: '0',
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    MFA_ENCRYPTION_KEYS: keySpec,
    DUO_INTEGRATION_KEY: fake.integrationKey,
    DUO_SECRET_KEY: fake.secretKey,
    DUO_API_HOST: fake.host,
    DUO_API_BASE_URL: fake.url,
  };
  worker = await startWorker(createDuoWorker(env), loadWorkerConfig(DUO_WORKER_NAME, DUO_DEFAULT_CONCURRENCY, env), '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(worker.app.getHttpServer().address() as AddressInfo).port}`;
  connection = createBullConnection(REDIS_URL);
  eventsConnection = createBullConnection(REDIS_URL);
  producer = new JobProducer(connection, prefix);
  events = new Queue(QueueName.Events, { connection, prefix });
  duoQueue = new Queue(QueueName.Duo, { connection, prefix });
  duoEvents = new QueueEvents(QueueName.Duo, { connection: eventsConnection, prefix });
  await duoEvents.waitUntilReady();
});

afterAll(async () => {
  await worker?.close();
  await producer?.close();
  await events?.close();
  await duoQueue?.close();
  await duoEvents?.close();
  if (connection) {
    const keys = await connection.keys(`${prefix}*`);
    if (keys.length > 0) await connection.del(...keys);
    await connection.quit();
  }
  eventsConnection?.disconnect();
  await fake.stop();
});

describe('duo worker', () => {
  it('runs 128 jobs at a time unless WORKER_CONCURRENCY says otherwise', () => {
    expect(worker.context.config.concurrency).toBe(128);
  });

  it('preauth returns Duo’s answer to the waiting gateway: auth, enroll with the portal URL sealed to the job, deny', async () => {
    const active = preauthJob(user('allow'));
    await expect(runAndAwait<DuoPreauthResult>(active.jobId, active.payload)).resolves.toEqual({ v: 2, result: 'auth', statusMessage: 'Account is active' });
    const enroll = preauthJob(user('enroll'));
    const enrolled = await runAndAwait<DuoPreauthResult>(enroll.jobId, enroll.payload);
    expect(enrolled).toEqual({ v: 2, result: 'enroll', statusMessage: expect.any(String), sealedEnrollPortalUrl: expect.stringMatching(/^v1\.e2e\./) });
    const portal = keyring.decryptText(enrolled.sealedEnrollPortalUrl!, sealedDuoEnrollUrlAad(enroll.payload.factorId, enroll.jobId));
    expect(portal).toMatch(/^https:\/\/api-e2e00000\.duosecurity\.com\/portal\?code=/);
    secrets.push(portal, new URL(portal).searchParams.get('code')!);
    const denied = preauthJob(user('preauth_deny'));
    await expect(runAndAwait<DuoPreauthResult>(denied.jobId, denied.payload)).resolves.toMatchObject({ v: 2, result: 'deny', statusMessage: expect.any(String) });
  });

  it('passcode: the right one allows, a wrong one denies', async () => {
    const username = user('allow');
    const right = passcodeJob(username, DUO_FAKE_PASSCODE);
    await expect(runAndAwait<DuoPasscodeResult>(right.jobId, right.payload)).resolves.toEqual({ result: 'allow', statusMessage: 'Success. Logging you in...' });
    const wrongCode = String(randomInt(100_000, 999_999));
    secrets.push(wrongCode);
    const wrong = passcodeJob(username, wrongCode === DUO_FAKE_PASSCODE ? '654321' : wrongCode);
    await expect(runAndAwait<DuoPasscodeResult>(wrong.jobId, wrong.payload)).resolves.toEqual({ result: 'deny', statusMessage: 'Incorrect passcode. Please try again.' });
  });

  it('a push the user approves: one push with the login context, then duo.result allow', async () => {
    const username = user('allow');
    const job = authJob(username);
    await producer.add(QueueName.Duo, job.jobId, job.payload);

    expect(await resultOf(job.challengeId)).toEqual({ v: 1, type: 'duo.result', challengeId: job.challengeId, result: 'allow', reason: 'Success. Logging you in...' });
    await jobState(job.jobId, 'completed');
    const [push] = fake.transactions.filter((t) => t.username === username);
    expect(authRequestsFor(username)).toHaveLength(1);
    expect(push).toMatchObject({ factor: 'push', device: 'auto', type: 'Login request', ipaddr: '203.0.113.9', pushinfo: 'application=Acme%20Portal&ip=203.0.113.9&action=login&location=Berlin' });
    const txidKey = `${prefix}:duo-txid:${job.challengeId}`;
    expect(await connection.get(txidKey)).toBe(push?.txid);
    expect(await connection.ttl(txidKey)).toBeGreaterThan(50);
  });

  it('a push the user denies → duo.result deny; phone uses factor=phone', async () => {
    const username = user('deny');
    const job = authJob(username, { factor: 'phone' });
    await producer.add(QueueName.Duo, job.jobId, job.payload);
    expect(await resultOf(job.challengeId)).toMatchObject({ result: 'deny', reason: 'Login request denied.' });
    expect(fake.transactions.find((t) => t.username === username)).toMatchObject({ factor: 'phone', device: 'auto' });
  });

  it('a user who never answers → duo.result timeout when the challenge expires', async () => {
    const job = authJob(user('timeout'), { ttlSeconds: 3 });
    const started = Date.now();
    await producer.add(QueueName.Duo, job.jobId, job.payload);
    expect(await resultOf(job.challengeId)).toMatchObject({ result: 'timeout', reason: 'no answer in Duo before the challenge expired' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    await jobState(job.jobId, 'completed');
  });

  it('retries after a 429 (Retry-After) and pushes exactly once', async () => {
    const username = user('allow');
    fake.failNext(1, DUO_FAULTS.tooManyRequests);
    const job = authJob(username);
    await producer.add(QueueName.Duo, job.jobId, job.payload);
    expect(await resultOf(job.challengeId)).toMatchObject({ result: 'allow' });
    const requests = authRequestsFor(username);
    expect(requests.map((r) => r.status)).toEqual([429, 200]);
    expect(fake.transactions.filter((t) => t.username === username)).toHaveLength(1);
    // BullMQ counts finished runs, the completing one included: the throttled run and the good one.
    expect((await duoQueue.getJob(job.jobId))?.attemptsMade).toBe(2);
  });

  it('access forbidden (40301) fails at once: duo.result error with the reason, one request, no retry', async () => {
    const username = user('allow');
    fake.failNext(1, DUO_FAULTS.accessForbidden);
    const job = authJob(username);
    await producer.add(QueueName.Duo, job.jobId, job.payload);
    expect(await resultOf(job.challengeId)).toEqual({
      v: 1,
      type: 'duo.result',
      challengeId: job.challengeId,
      result: 'error',
      reason: 'Duo refused access to the Auth API for this integration',
    });
    await jobState(job.jobId, 'failed');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a retry would have come by now
    expect(authRequestsFor(username)).toHaveLength(1);
    expect((await duoQueue.getJob(job.jobId))?.attemptsMade).toBe(1);
  });

  it('an invalid request (40002) on preauth fails the awaited job with a reason that names no user', async () => {
    fake.failNext(1, { ...DUO_FAULTS.invalidRequest, messageDetail: 'username' });
    const job = preauthJob(user('allow'));
    await expect(runAndAwait(job.jobId, job.payload)).rejects.toThrow('Duo rejected the request as invalid (username)');
  });

  it('resumes polling a txid stored by an earlier run instead of pushing again', async () => {
    const username = user('allow');
    const client = new DuoAuthClient({ integrationKey: fake.integrationKey, secretKey: fake.secretKey, apiHost: fake.host, baseUrl: fake.url });
    const { txid } = await client.authAsync({ username, factor: 'push', device: 'auto' });
    const job = authJob(username);
    await connection.set(`${prefix}:duo-txid:${job.challengeId}`, txid, 'EX', 60);
    await producer.add(QueueName.Duo, job.jobId, job.payload);
    expect(await resultOf(job.challengeId)).toMatchObject({ result: 'allow' });
    expect(authRequestsFor(username)).toHaveLength(1); // the one made above
    expect(fake.requests.filter((r) => r.path === '/auth/v2/auth_status' && r.params.txid === txid).length).toBeGreaterThan(0);
  });

  it('leaves no plaintext username, passcode or enrollment portal anywhere in Redis (job return values and the events stream included)', async () => {
    const contents = await redisContents(connection, prefix);
    expect(contents.size).toBeGreaterThan(0);
    const dump: string[] = [...contents.values()];
    const jobs = [...(await duoQueue.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active'])), ...(await events.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']))];
    dump.push(JSON.stringify(jobs.map((job) => ({ data: job.data, returnvalue: job.returnvalue, failedReason: job.failedReason, stacktrace: job.stacktrace }))));
    const text = dump.join('\n');
    for (const secret of secrets) expect(text).not.toMatch(new RegExp(`(?<![0-9A-Za-z])${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z])`));
  });

  it('exposes job and provider counters on /metrics', async () => {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    const sample = (name: string, labels: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    expect(sample('mfa_jobs_processed_total', 'queue="duo",outcome="completed"')).toBeGreaterThanOrEqual(10);
    expect(sample('mfa_jobs_processed_total', 'queue="duo",outcome="retry"')).toBe(1);
    expect(sample('mfa_jobs_processed_total', 'queue="duo",outcome="failed"')).toBe(2);
    expect(sample('mfa_provider_requests_total', 'provider="duo",outcome="ok"')).toBeGreaterThan(10);
    expect(sample('mfa_provider_requests_total', 'provider="duo",outcome="retryable"')).toBe(1);
    expect(sample('mfa_provider_requests_total', 'provider="duo",outcome="permanent"')).toBe(2);
    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
  });

  it('keeps a slot for passcode checks however many pushes wait on their users; a push past its share waits its turn', async () => {
    await worker.close();
    const small = { ...env, WORKER_CONCURRENCY: '2' }; // one slot for auths, one kept for questions
    worker = await startWorker(createDuoWorker(small), loadWorkerConfig(DUO_WORKER_NAME, DUO_DEFAULT_CONCURRENCY, small), '127.0.0.1');
    try {
      const [first, second] = [user('timeout'), user('timeout')];
      const pushes = [authJob(first), authJob(second)];
      for (const job of pushes) await producer.add(QueueName.Duo, job.jobId, job.payload);
      await fake.waitForRequest((r) => r.path === '/auth/v2/auth_status' && fake.transactions.some((t) => t.username === first && t.txid === r.params.txid), 10_000);
      await waitFor('the second push deferred', async () => ((await duoQueue.getJobState(pushes[1].jobId)) === 'delayed' ? true : undefined));
      const metricsUrl = `http://127.0.0.1:${(worker.app.getHttpServer().address() as AddressInfo).port}/metrics`;
      await waitFor('the deferral counted', async () => (/^mfa_jobs_processed_total\{queue="duo",outcome="deferred"\} [1-9]/m.test(await (await fetch(metricsUrl)).text()) ? true : undefined));

      const asking = passcodeJob(user('allow'), DUO_FAKE_PASSCODE);
      await expect(runAndAwait<DuoPasscodeResult>(asking.jobId, asking.payload)).resolves.toMatchObject({ result: 'allow' });
      expect(authRequestsFor(second)).toHaveLength(0);

      fake.setUser(first, 'allow');
      expect(await resultOf(pushes[0].challengeId)).toMatchObject({ result: 'allow' });
      await fake.waitForRequest((r) => r.path === '/auth/v2/auth' && r.params.username === second, 10_000);
      fake.setUser(second, 'allow');
      expect(await resultOf(pushes[1].challengeId)).toMatchObject({ result: 'allow' });
      expect(authRequestsFor(second)).toHaveLength(1);
    } finally {
      await worker.close();
      worker = await startWorker(createDuoWorker(env), loadWorkerConfig(DUO_WORKER_NAME, DUO_DEFAULT_CONCURRENCY, env), '127.0.0.1');
    }
  });

  it('a draining worker hands its polling job to the next one, which resumes without a second push', async () => {
    const username = user('timeout');
    const job = authJob(username);
    await producer.add(QueueName.Duo, job.jobId, job.payload);
    await fake.waitForRequest((r) => r.path === '/auth/v2/auth_status' && fake.transactions.some((t) => t.username === username && t.txid === r.params.txid), 10_000);

    const started = Date.now();
    await worker.close(); // SIGTERM: must not wait for the user to answer
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await duoQueue.getJobState(job.jobId)).toBe('waiting');

    worker = await startWorker(createDuoWorker(env), loadWorkerConfig(DUO_WORKER_NAME, DUO_DEFAULT_CONCURRENCY, env), '127.0.0.1');
    fake.setUser(username, 'allow'); // the user approves while the new worker polls
    expect(await resultOf(job.challengeId)).toMatchObject({ result: 'allow' });
    expect(authRequestsFor(username)).toHaveLength(1);
    // Only the completing run counts: handing the job over spent no attempt.
    expect((await duoQueue.getJob(job.jobId))?.attemptsMade).toBe(1);
  });
});
