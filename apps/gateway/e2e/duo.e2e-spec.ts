import { status } from '@grpc/grpc-js';
import { Queue, Worker, type Job } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { DUO_FAKE_PASSCODE, DUO_FAULTS, DuoFake } from '@mfa/fakes';
import { createBullConnection, JobIds, QueueName } from '@mfa/queue';
import { eventually, TcpProxy } from '@mfa/testing';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { createDuoWorker } from '../../duo-worker/src/duo.worker';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';
import { watchChallenge } from './watch-stream';

/** The real duo worker (8 slots) on the environment the gateway under test was given, against `duo`. */
function startDuoWorkerFor(duo: DuoFake, env: Record<string, string>): Promise<StartedWorker> {
  const duoEnv = { DUO_INTEGRATION_KEY: duo.integrationKey, DUO_SECRET_KEY: duo.secretKey, DUO_API_HOST: duo.host, DUO_API_BASE_URL: duo.url };
  return startWorker(createDuoWorker(duoEnv, { pollIntervalMs: 100 }), loadWorkerConfig('duo-worker', 8, { ...env, HTTP_PORT: '0' }), '127.0.0.1');
}

/** DUO factors through the real duo worker and its Duo Auth API client, against the loopback Duo. */
describe.each(['sqlite', 'postgres'] as const)('Duo factors (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;
  let duo: DuoFake;
  let worker: StartedWorker;

  beforeAll(async () => {
    duo = new DuoFake({ host: 'api-test.duosecurity.com', answerDelayMs: 200 });
    await duo.start();
    gateway = await startGateway({ driver, env: { MFA_PROMPT_LIMIT_PER_FACTOR: '3/600' } });
    client = gateway.client();
    worker = await startDuoWorker();
    for (const [name, behaviour] of [['ada', 'allow'], ['dee', 'deny'], ['tim', 'timeout'], ['bob', 'preauth_deny']] as const) duo.setUser(name, behaviour);
  });
  afterAll(async () => {
    await worker.close();
    await gateway.close();
    await duo.stop();
  });

  const startDuoWorker = (): Promise<StartedWorker> => startDuoWorkerFor(duo, gateway.env);

  /** The challenge once its delivery is no longer QUEUED (the worker or the gateway settled it). */
  const deliverySettled = (challengeId: string): Promise<Challenge> =>
    eventually('the delivery settled', async () => {
      const current = await client.getChallenge({ challenge_id: challengeId });
      return current.delivery === 'DELIVERY_STATUS_QUEUED' ? undefined : current;
    });

  /**
   * Takes the job of this kind for this challenge, as a duo worker would. Pushes of earlier tests
   * that a closed worker handed back are in the queue too: each job that is not the one sought
   * goes back for a second, as a busy worker defers a push.
   */
  const takeJob = (playing: Worker, kind: string, challengeId: string): Promise<Job> =>
    eventually(`the ${kind} job of ${challengeId}`, async () => {
      const job = await playing.getNextJob('test-token', { block: false });
      if (!job || (job.data.kind === kind && job.data.challengeId === challengeId)) return job;
      await job.moveToDelayed(Date.now() + 1_000, 'test-token');
      return undefined;
    }, 10_000, 10);

  async function settled(challengeId: string): Promise<Challenge> {
    const last = (await watchChallenge(client, challengeId).ended).at(-1);
    if (!last) throw new Error('no state');
    return last;
  }

  it('enrolls by preauth: auth → ACTIVE, enroll → PENDING with the portal, deny → FAILED', async () => {
    const active = await client.enrollFactor({ user_id: 'u-ada', type: 'FACTOR_TYPE_DUO', duo_username: 'ada' });
    expect(active.factor).toMatchObject({ type: 'FACTOR_TYPE_DUO', status: 'FACTOR_STATUS_ACTIVE', enroll_url: '' });
    const pending = await client.enrollFactor({ user_id: 'u-new', type: 'FACTOR_TYPE_DUO', duo_username: 'newcomer@example.com' });
    expect(pending.factor.status).toBe('FACTOR_STATUS_PENDING');
    expect(pending.factor.enroll_url).toMatch(/^https:\/\/api-test\.duosecurity\.com\/portal\?/);
    expect(pending.factor.display).toBe('Duo n***@example.com');
    const denied = await client.enrollFactor({ user_id: 'u-bob', type: 'FACTOR_TYPE_DUO', duo_username: 'bob' });
    expect(denied.factor.status).toBe('FACTOR_STATUS_FAILED');

    duo.setUser('newcomer@example.com', 'allow');
    const confirmed = await client.confirmEnrollment({ user_id: 'u-new', factor_id: pending.factor.id, code: '' });
    expect(confirmed).toMatchObject({ status: 'FACTOR_STATUS_ACTIVE', enroll_url: '' });
  });

  it('approves when the user approves the Duo Push, and VerifyChallenge reports it', async () => {
    await client.enrollFactor({ user_id: 'u-ada2', type: 'FACTOR_TYPE_DUO', duo_username: 'ada' });
    const challenge = await client.startChallenge({ user_id: 'u-ada2', context: { application: 'Console', ip: '203.0.113.5', action: 'login', location: 'Oslo', user_agent: 'x' } });
    expect(challenge).toMatchObject({ type: 'FACTOR_TYPE_DUO', status: 'CHALLENGE_STATUS_PENDING', delivery: 'DELIVERY_STATUS_QUEUED' });
    expect((await settled(challenge.id)).status).toBe('CHALLENGE_STATUS_APPROVED');
    expect((await client.verifyChallenge({ challenge_id: challenge.id, code: '' })).ok).toBe(true);
    // The approval is reported once: a replayed VerifyChallenge completes no second login.
    await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: '' }), status.FAILED_PRECONDITION);
    expect((await client.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_APPROVED');
    const auth = duo.requests.find((r) => r.path === '/auth/v2/auth' && r.params.username === 'ada');
    expect(auth?.params).toMatchObject({ async: '1', ipaddr: '203.0.113.5', factor: 'auto' });
  });

  it('denies when the user denies, and expires when nobody answers', async () => {
    await client.enrollFactor({ user_id: 'u-dee', type: 'FACTOR_TYPE_DUO', duo_username: 'dee' });
    const denied = await settled((await client.startChallenge({ user_id: 'u-dee' })).id);
    expect(denied.status).toBe('CHALLENGE_STATUS_DENIED');
    expect(denied.reason).not.toBe('');

    await client.enrollFactor({ user_id: 'u-tim', type: 'FACTOR_TYPE_DUO', duo_username: 'tim' });
    await client.setPolicy({ otp_ttl_seconds: 3, number_matching: true });
    try {
      const timedOut = await settled((await client.startChallenge({ user_id: 'u-tim' })).id);
      expect(timedOut.status).toBe('CHALLENGE_STATUS_EXPIRED');
    } finally {
      await client.setPolicy({ number_matching: true });
    }
  });

  it('checks a Duo passcode with Duo: right → approved, wrong → an attempt used; the unanswered push is let go', async () => {
    await client.enrollFactor({ user_id: 'u-pass', type: 'FACTOR_TYPE_DUO', duo_username: 'tim' }); // never answers the push
    const challenge = await client.startChallenge({ user_id: 'u-pass' });
    await eventually('the duo worker following the push', () => (duo.transactions.some((t) => t.username === 'tim' && duo.requests.some((r) => r.path === '/auth/v2/auth_status' && r.params.txid === t.txid)) ? true : undefined));
    expect(await client.verifyChallenge({ challenge_id: challenge.id, code: '999999' })).toMatchObject({ ok: false, attempts_remaining: 4 });
    const verified = await client.verifyChallenge({ challenge_id: challenge.id, code: DUO_FAKE_PASSCODE });
    expect(verified).toMatchObject({ ok: true });
    expect(verified.challenge!.status).toBe('CHALLENGE_STATUS_APPROVED');
    // The passcode's answer reported the approval: a call without a code cannot report it again.
    await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: '' }), status.FAILED_PRECONDITION);
    // The worker stops following the push within seconds, not when Duo gives up on it.
    expect(await deliverySettled(challenge.id)).toMatchObject({ status: 'CHALLENGE_STATUS_APPROVED', delivery: 'DELIVERY_STATUS_SENT' });
  });

  it('takes back a Duo push still waiting for a slot once a passcode approved the login', async () => {
    await client.enrollFactor({ user_id: 'u-code', type: 'FACTOR_TYPE_DUO', duo_username: 'ada' });
    await worker.close(); // the test plays a duo worker whose auth slots are all taken
    const [connection, workerConnection] = [createBullConnection(gateway.env.REDIS_URL), createBullConnection(gateway.env.REDIS_URL)];
    const prefix = gateway.config.queuePrefix;
    const queue = new Queue(QueueName.Duo, { connection, prefix });
    const playing = new Worker(QueueName.Duo, null, { connection: workerConnection, prefix });
    let challengeId = '';
    try {
      const challenge = await client.startChallenge({ user_id: 'u-code' });
      challengeId = challenge.id;
      const push = await takeJob(playing, 'auth', challenge.id);
      await push.moveToDelayed(Date.now() + 60_000, 'test-token'); // as a worker does when its auths take their whole share

      const verifying = client.verifyChallenge({ challenge_id: challenge.id, code: DUO_FAKE_PASSCODE });
      const question = await takeJob(playing, 'passcode', challenge.id);
      await question.moveToCompleted({ result: 'allow', statusMessage: 'Success. Logging you in...' }, 'test-token', false);

      const verified = await verifying;
      expect(verified.ok).toBe(true);
      expect(verified.challenge).toMatchObject({ status: 'CHALLENGE_STATUS_APPROVED', delivery: 'DELIVERY_STATUS_NOT_REQUIRED' });
      expect(await queue.getJob(JobIds.duoAuth(challenge.id))).toBeUndefined();
      expect((await client.getChallenge({ challenge_id: challenge.id })).delivery).toBe('DELIVERY_STATUS_NOT_REQUIRED');
    } finally {
      if (challengeId) await queue.remove(JobIds.duoAuth(challengeId)); // a failed assertion must not leave the push to a later test
      await playing.close();
      await queue.close();
      connection.disconnect();
      workerConnection.disconnect();
      worker = await startDuoWorker();
    }
  });

  it('sends no push for a challenge canceled while a worker held its job: the worker reports it withdrawn', async () => {
    duo.setUser('held-user', 'allow');
    await client.enrollFactor({ user_id: 'u-held', type: 'FACTOR_TYPE_DUO', duo_username: 'held-user' });
    await worker.close(); // the test holds the push job as a busy worker about to defer it does
    const workerConnection = createBullConnection(gateway.env.REDIS_URL);
    const playing = new Worker(QueueName.Duo, null, { connection: workerConnection, prefix: gateway.config.queuePrefix });
    let challengeId = '';
    try {
      challengeId = (await client.startChallenge({ user_id: 'u-held' })).id;
      const push = await takeJob(playing, 'auth', challengeId);
      // Held by a worker, the job cannot be taken back: the delivery stays QUEUED for now.
      expect(await client.cancelChallenge({ challenge_id: challengeId })).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_QUEUED' });
      await push.moveToDelayed(Date.now() + 100, 'test-token');
    } finally {
      await playing.close();
      workerConnection.disconnect();
      worker = await startDuoWorker();
    }
    const settledDelivery = await deliverySettled(challengeId);
    expect(settledDelivery).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_NOT_REQUIRED' });
    expect(duo.requests.filter((r) => r.path === '/auth/v2/auth' && r.params.username === 'held-user')).toHaveLength(0);
  });

  it('fails an approval that comes in while the user is locked, and leaves the lock in place', async () => {
    duo.setUser('lockie', 'timeout'); // no answer yet
    await client.enrollFactor({ user_id: 'u-lock', type: 'FACTOR_TYPE_DUO', duo_username: 'lockie' });
    const challenge = await client.startChallenge({ user_id: 'u-lock' });
    await client.setPolicy({ lockout_threshold: 1, number_matching: true });
    try {
      expect(await client.verifyChallenge({ challenge_id: challenge.id, code: '999999' })).toMatchObject({ ok: false });
      const lockedUntil = (await client.getUserStatus({ user_id: 'u-lock' })).locked_until;
      expect(lockedUntil).toBeTruthy();

      duo.setUser('lockie', 'allow'); // the user taps Approve on the Duo push sent before the lock
      const final = await settled(challenge.id);
      expect(final.status).toBe('CHALLENGE_STATUS_FAILED');
      expect(final.reason).toMatch(/locked/);
      expect((await client.getUserStatus({ user_id: 'u-lock' })).locked_until).toEqual(lockedUntil);
      await grpcError(client.verifyChallenge({ challenge_id: challenge.id, code: '' }), status.RESOURCE_EXHAUSTED);
    } finally {
      await client.setPolicy({ number_matching: true });
    }
  });

  it('limits Duo prompts nobody approves (MFA_PROMPT_LIMIT_PER_FACTOR=3/600); an approval in Duo or by passcode starts over', async () => {
    await client.enrollFactor({ user_id: 'u-bombed', type: 'FACTOR_TYPE_DUO', duo_username: 'dee' });
    for (let i = 0; i < 3; i++) expect((await settled((await client.startChallenge({ user_id: 'u-bombed' })).id)).status).toBe('CHALLENGE_STATUS_DENIED');
    const limited = await grpcError(client.startChallenge({ user_id: 'u-bombed' }), status.RESOURCE_EXHAUSTED);
    expect(limited.metadata.get('reason')).toEqual(['rate_limited']);

    await client.enrollFactor({ user_id: 'u-passcode', type: 'FACTOR_TYPE_DUO', duo_username: 'tim' }); // never answers the push
    const unanswered = [];
    for (let i = 0; i < 3; i++) unanswered.push(await client.startChallenge({ user_id: 'u-passcode' }));
    await grpcError(client.startChallenge({ user_id: 'u-passcode' }), status.RESOURCE_EXHAUSTED);
    expect((await client.verifyChallenge({ challenge_id: unanswered[0].id, code: DUO_FAKE_PASSCODE })).ok).toBe(true);
    expect((await client.startChallenge({ user_id: 'u-passcode' })).status).toBe('CHALLENGE_STATUS_PENDING');

    await client.enrollFactor({ user_id: 'u-approver', type: 'FACTOR_TYPE_DUO', duo_username: 'ada' });
    for (let i = 0; i < 5; i++) expect((await settled((await client.startChallenge({ user_id: 'u-approver' })).id)).status).toBe('CHALLENGE_STATUS_APPROVED');
  });

  it("settles the delivery of a challenge ended before Duo answered, and keeps the challenge's outcome", async () => {
    await client.enrollFactor({ user_id: 'u-ada3', type: 'FACTOR_TYPE_DUO', duo_username: 'ada' });
    const authsOfAda = (): number => duo.requests.filter((r) => r.path === '/auth/v2/auth' && r.params.username === 'ada').length;
    const before = authsOfAda();
    const challenge = await client.startChallenge({ user_id: 'u-ada3' });
    // Once Duo has been asked, the duo worker holds the job: the cancel cannot take it back.
    const asked = Date.now() + 10_000;
    while (authsOfAda() === before) {
      if (Date.now() > asked) throw new Error('the duo worker never asked Duo');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await client.cancelChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_CANCELED');
    expect(await deliverySettled(challenge.id)).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_SENT' });
  });

  it('leaves a push already on the phone to report its outcome, even while no worker holds its job', async () => {
    duo.setUser('hal', 'timeout'); // no answer yet
    await client.enrollFactor({ user_id: 'u-hal', type: 'FACTOR_TYPE_DUO', duo_username: 'hal' });
    const challenge = await client.startChallenge({ user_id: 'u-hal' });
    // Polling: the duo worker stored the txid before it asked for the status.
    await eventually('the duo worker polling the push', () => {
      const push = duo.transactions.find((t) => t.username === 'hal');
      return push && duo.requests.some((r) => r.path === '/auth/v2/auth_status' && r.params.txid === push.txid) ? true : undefined;
    });
    await worker.close(); // hands the job back to the queue, where nobody holds it
    try {
      expect((await client.cancelChallenge({ challenge_id: challenge.id })).delivery).toBe('DELIVERY_STATUS_QUEUED');
    } finally {
      worker = await startDuoWorker();
    }
    duo.setUser('hal', 'allow'); // the next worker resumes the txid and hears the answer
    const settledDelivery = await deliverySettled(challenge.id);
    expect(settledDelivery).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_SENT' });
    expect(duo.transactions.filter((t) => t.username === 'hal')).toHaveLength(1);
  });

  it('answers UNAVAILABLE when Duo cannot be reached at enrollment, keeping no factor', async () => {
    duo.failFor(20_000, DUO_FAULTS.serverError);
    try {
      await grpcError(client.enrollFactor({ user_id: 'u-down', type: 'FACTOR_TYPE_DUO', duo_username: 'ada' }), status.UNAVAILABLE);
    } finally {
      duo.failFor(0, DUO_FAULTS.serverError);
    }
    expect((await client.listFactors({ user_id: 'u-down' })).factors).toEqual([]);
  }, 60_000);
});

/**
 * Withdrawal follows a committed answer: with Redis unreachable, it gives up at once and the
 * answer still comes. The gateway also shuts down within seconds with Redis down or reconnecting.
 */
describe.each(['sqlite', 'postgres'] as const)('Duo while Redis is unreachable (%s)', (driver) => {
  let duo: DuoFake;
  let proxy: TcpProxy;
  let gateway: RunningGateway;
  let closeGateway: () => Promise<void>;
  let closeWorker: () => Promise<void>;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  beforeEach(async () => {
    duo = new DuoFake({ host: 'api-test.duosecurity.com', answerDelayMs: 200 });
    await duo.start();
    duo.setUser('ada', 'allow');
    proxy = await TcpProxy.inFrontOf(redisUrl).start();
    gateway = await startGateway({ driver, env: { REDIS_URL: proxy.url(redisUrl), QUEUE_PREFIX: `{mfa-cut-${Date.now()}}` } });
    closeGateway = once(() => gateway.close());
    closeWorker = once((await startDuoWorkerFor(duo, { ...gateway.env, REDIS_URL: redisUrl })).close); // straight to Redis, not through the proxy
    // A Duo enrollment opens the gateway's reader of the duo queue's events.
    await gateway.client().enrollFactor({ user_id: 'u-cut', type: 'FACTOR_TYPE_DUO', duo_username: 'ada' });
  });

  afterEach(async () => {
    await proxy.restore();
    await closeGateway();
    await closeWorker();
    await proxy.stop();
    await duo.stop();
  });

  it('cancels a Duo challenge within seconds: taking its push back gives up instead of waiting for Redis', async () => {
    const client = gateway.client();
    await closeWorker(); // the push job waits in the queue
    const challenge = await client.startChallenge({ user_id: 'u-cut' });
    await proxy.cut();
    const answer = await within(15_000, 'CancelChallenge still waiting on Redis', client.cancelChallenge({ challenge_id: challenge.id }));
    expect(answer).toMatchObject({ status: 'CHALLENGE_STATUS_CANCELED', delivery: 'DELIVERY_STATUS_QUEUED' });
  }, 60_000);

  it('shuts down within seconds right after Redis comes back, while its connections reconnect', async () => {
    await proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 500)); // every connection has noticed
    await proxy.restore();
    await within(10_000, 'the gateway still shutting down', closeGateway());
  }, 60_000);

  it('shuts down within seconds while Redis stays unreachable', async () => {
    await proxy.cut();
    await within(10_000, 'the gateway still shutting down', closeGateway());
  }, 60_000);
});

/** `close` the first time, and the same promise after. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

/** `promise`, or a rejection naming what is still waiting once `ms` have passed. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
