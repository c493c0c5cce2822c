import { status } from '@grpc/grpc-js';
import { Queue } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import type { Challenge } from '@mfa/contracts';
import { createBullConnection, JobIds, JobProducer, parseDeliveryJob, QueueName, sealedDeliveryAad, type DeliveryContent } from '@mfa/queue';
import { createTestDatabase, eventually, TcpProxy, type TestDatabase, type TestDriver } from '@mfa/testing';
import { loadWorkerConfig, startWorker, type StartedWorker } from '@mfa/worker-host';
import { otpWorker } from '../../otp-worker/src/otp.worker';
import type { Logger } from '@mfa/observability';
import { ApplyDeliveryOutcomeUseCase } from '../src/events/apply-delivery-outcome.usecase';
import { LOGGER } from '../src/services/logger.provider';
import { grpcError } from './grpc-expect';
import { startGateway, type RunningGateway } from './gateway-harness';

/** `eventually` for probes that fail while the database is down: a failure is "not yet". */
const eventuallyThrough = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> =>
  eventually(what, () => probe().catch(() => undefined), timeoutMs);

interface Fixture {
  gateway: RunningGateway;
  client: MfaClient;
  otp: StartedWorker;
  telephony: Queue;
  events: Queue;
  otpQueue: Queue;
  close(): Promise<void>;
}

async function startFixture(driver: TestDriver, database?: TestDatabase, env: Record<string, string> = {}): Promise<Fixture> {
  const connection = createBullConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const gateway = await startGateway({ driver, database, env });
  const otp = await startWorker(otpWorker, loadWorkerConfig('otp-worker', 4, { ...gateway.env, HTTP_PORT: '0' }), '127.0.0.1');
  const [telephony, events, otpQueue] = [QueueName.Telephony, QueueName.Events, QueueName.Otp].map((name) => new Queue(name, { connection, prefix: gateway.config.queuePrefix }));
  return {
    gateway,
    client: gateway.client(),
    otp,
    telephony,
    events,
    otpQueue,
    async close() {
      await otp.close();
      await Promise.all([telephony, events, otpQueue].map((q) => q.close()));
      await gateway.close();
      connection.disconnect();
    },
  };
}

async function deliveredCode(f: Fixture, challengeId: string): Promise<DeliveryContent> {
  const job = await eventuallyThrough(`the delivery job of ${challengeId}`, async () => (await f.telephony.getJob(JobIds.delivery(challengeId))) ?? undefined);
  return JSON.parse(f.gateway.config.keyring.decryptText(parseDeliveryJob(job.data).sealed, sealedDeliveryAad(challengeId))) as DeliveryContent;
}

async function activeSmsFactor(f: Fixture, userId: string, phone: string): Promise<string> {
  const enrollment = await f.client.enrollFactor({ user_id: userId, type: 'FACTOR_TYPE_SMS', phone_number: phone });
  await f.client.confirmEnrollment({ user_id: userId, factor_id: enrollment.factor.id, code: (await deliveredCode(f, enrollment.challenge_id)).code });
  return enrollment.factor.id;
}

function challengeWhere(f: Fixture, id: string, predicate: (c: Challenge) => boolean, timeoutMs?: number): Promise<Challenge> {
  return eventuallyThrough(`challenge ${id}`, async () => {
    const challenge = await f.client.getChallenge({ challenge_id: id });
    return predicate(challenge) ? challenge : undefined;
  }, timeoutMs);
}

describe('delivery outcomes survive a database outage longer than their attempts (postgres)', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let f: Fixture;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    proxy = await TcpProxy.inFrontOf(database.url).start();
    f = await startFixture('postgres', database, { DATABASE_URL: proxy.url(database.url) });
  });
  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    await f?.close();
    await proxy.stop();
    await database.drop();
  });

  it('postpones an event without using attempts while the database is down, and applies it once it is back', async () => {
    await activeSmsFactor(f, 'olga', '+14155550166');
    const challenge = await f.client.startChallenge({ user_id: 'olga' });
    await deliveredCode(f, challenge.id);

    const logError = jest.spyOn(f.gateway.app.get<Logger>(LOGGER), 'error');
    await proxy.cut();
    // A budget of 2 attempts: spent twice over if the outage counted against it.
    const jobId = JobIds.sent(challenge.id);
    await f.events.add('events', { v: 1, type: 'delivery.sent', challengeId: challenge.id, provider: 'twilio', providerRef: 'SM9' }, { jobId, attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    const postponed = await eventuallyThrough('four tries of the event', async () => {
      const job = await f.events.getJob(jobId);
      return job && job.attemptsStarted >= 4 ? job : undefined;
    }, 20_000);
    expect(postponed.attemptsMade).toBe(0);
    expect(await postponed.getState()).not.toBe('failed');

    await proxy.restore();
    const sent = await challengeWhere(f, challenge.id, (c) => c.delivery === 'DELIVERY_STATUS_SENT', 30_000);
    expect(sent.status).toBe('CHALLENGE_STATUS_PENDING');
    expect(await (await f.events.getJob(jobId))?.getState()).toBe('completed');
    // A postponement is no failure: nothing reported as given up.
    expect(logError).not.toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/^event given up/));
    logError.mockRestore();
  }, 60_000);

  it('still spends the attempts of an event that fails for another reason', async () => {
    await activeSmsFactor(f, 'otto', '+14155550167');
    const challenge = await f.client.startChallenge({ user_id: 'otto' });
    const apply = jest.spyOn(f.gateway.app.get(ApplyDeliveryOutcomeUseCase), 'execute').mockRejectedValue(new Error('a bug'));
    const logError = jest.spyOn(f.gateway.app.get<Logger>(LOGGER), 'error');
    try {
      const jobId = JobIds.sent(challenge.id);
      await f.events.add('events', { v: 1, type: 'delivery.sent', challengeId: challenge.id, provider: 'twilio' }, { jobId, attempts: 2, backoff: { type: 'fixed', delay: 50 } });
      const failed = await eventuallyThrough('the event to fail', async () => {
        const job = await f.events.getJob(jobId);
        return job && (await job.getState()) === 'failed' ? job : undefined;
      });
      expect(failed.attemptsMade).toBe(2);
      expect(failed.failedReason).toBe('a bug');
      // The operator hears of it, with the challenge to look at.
      expect(logError).toHaveBeenCalledWith(expect.objectContaining({ jobId, eventType: 'delivery.sent', challengeId: challenge.id, attemptsMade: 2 }), expect.stringMatching(/^event given up/));
    } finally {
      logError.mockRestore();
      apply.mockRestore();
    }
  });
});

describe.each(['sqlite', 'postgres'] as const)('a delivery job add that fails or times out on Redis (%s)', (driver) => {
  let f: Fixture;

  beforeAll(async () => {
    f = await startFixture(driver);
  });
  afterAll(async () => {
    await f?.close();
  });

  const otpJobsOf = async (challengeId: string): Promise<number> =>
    (await f.otpQueue.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed'])).filter((j) => j.data.challengeId === challengeId).length;

  it('answers with the challenge when the add timed out but landed: not FAILED, one job, one code', async () => {
    await activeSmsFactor(f, 'tina', '+14155550188');
    const producer = f.gateway.app.get(JobProducer);
    const add = producer.add.bind(producer);
    const slow = jest.spyOn(producer, 'add').mockImplementationOnce(async (...args: Parameters<JobProducer['add']>) => {
      await add(...args);
      throw new Error('Command timed out'); // ioredis's commandTimeout: the reply came too late
    });
    let challenge: Challenge;
    try {
      challenge = await f.client.startChallenge({ user_id: 'tina', idempotency_key: 'slow-1' });
    } finally {
      slow.mockRestore();
    }
    expect(challenge).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING' });
    const code = await deliveredCode(f, challenge.id);
    expect((await f.client.getChallenge({ challenge_id: challenge.id })).status).toBe('CHALLENGE_STATUS_PENDING');
    expect((await f.client.startChallenge({ user_id: 'tina', idempotency_key: 'slow-1' })).id).toBe(challenge.id);
    expect(await otpJobsOf(challenge.id)).toBe(1);
    expect((await f.client.verifyChallenge({ challenge_id: challenge.id, code: code.code })).ok).toBe(true);
  });

  it('leaves the challenge queued when the add did not land: UNAVAILABLE, and a retry with the same key sends one code', async () => {
    await activeSmsFactor(f, 'uma', '+14155550189');
    const producer = f.gateway.app.get(JobProducer);
    const down = jest.spyOn(producer, 'add').mockRejectedValueOnce(new Error('Command timed out'));
    try {
      await grpcError(f.client.startChallenge({ user_id: 'uma', idempotency_key: 'lost-1' }), status.UNAVAILABLE);
    } finally {
      down.mockRestore();
    }
    const retried = await f.client.startChallenge({ user_id: 'uma', idempotency_key: 'lost-1' });
    expect(retried).toMatchObject({ status: 'CHALLENGE_STATUS_PENDING', delivery: 'DELIVERY_STATUS_QUEUED' });
    const code = await deliveredCode(f, retried.id);
    expect(await otpJobsOf(retried.id)).toBe(1);
    expect((await f.client.verifyChallenge({ challenge_id: retried.id, code: code.code })).ok).toBe(true);
  });
});
