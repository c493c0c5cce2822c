import { Queue, Worker } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import { DuoFake } from '@mfa/fakes';
import { createBullConnection, QueueName, type RedisConnection } from '@mfa/queue';
import { redisContents } from '@mfa/testing';
import { loadWorkerConfig, startWorker } from '@mfa/worker-host';
import { createDuoWorker } from '../../duo-worker/src/duo.worker';
import { startGateway, type RunningGateway } from './gateway-harness';

interface FactorRow {
  enroll_url: string | null;
  enroll_url_enc: string | null;
}

/**
 * Duo's enrollment portal URL lets whoever opens it enroll a device for the Duo user. The caller
 * gets it over gRPC, as before; the preauth job's return value (kept in Redis an hour, shown on
 * the queue dashboard) and the factors table hold it only sealed.
 */
describe.each(['sqlite', 'postgres'] as const)('Duo enrollment portal URL (%s)', (driver) => {
  let gateway: RunningGateway;
  let client: MfaClient;
  let duo: DuoFake;
  let redis: RedisConnection;
  let duoQueue: Queue;

  beforeAll(async () => {
    duo = new DuoFake({ host: 'api-test.duosecurity.com', answerDelayMs: 50 });
    await duo.start();
    gateway = await startGateway({ driver });
    client = gateway.client();
    redis = createBullConnection(gateway.env.REDIS_URL);
    duoQueue = new Queue(QueueName.Duo, { connection: redis, prefix: gateway.config.queuePrefix });
  });
  afterAll(async () => {
    await duoQueue.close();
    await gateway.close();
    redis.disconnect();
    await duo.stop();
  });

  const factorRow = async (id: string): Promise<FactorRow> => {
    const [row] = (await gateway.database.dataSource.query(`SELECT enroll_url, enroll_url_enc FROM factors WHERE id = '${id}'`)) as FactorRow[];
    return row;
  };
  /** Everything stored about factors and their audit trail, for a search for a leaked URL. */
  const databaseText = async (): Promise<string> =>
    JSON.stringify([await gateway.database.dataSource.query('SELECT * FROM factors'), await gateway.database.dataSource.query('SELECT * FROM audit_events')]);
  const preauthJobsOf = async (factorId: string) => (await duoQueue.getJobs(['completed'])).filter((job) => (job.data as { factorId?: string }).factorId === factorId);

  it('answers EnrollFactor, ListFactors, GetUserStatus and ConfirmEnrollment with the URL, which Redis and the database hold only sealed', async () => {
    const worker = await startWorker(
      createDuoWorker({ DUO_INTEGRATION_KEY: duo.integrationKey, DUO_SECRET_KEY: duo.secretKey, DUO_API_HOST: duo.host, DUO_API_BASE_URL: duo.url }),
      loadWorkerConfig('duo-worker', 8, { ...gateway.env, HTTP_PORT: '0' }),
      '127.0.0.1',
    );
    try {
      const { factor } = await client.enrollFactor({ user_id: 'u-portal', type: 'FACTOR_TYPE_DUO', duo_username: 'portal@example.com' });
      expect(factor.status).toBe('FACTOR_STATUS_PENDING');
      const url = factor.enroll_url;
      expect(url).toMatch(/^https:\/\/api-test\.duosecurity\.com\/portal\?code=[0-9a-f]+&akey=DAK/);
      const code = new URL(url).searchParams.get('code')!;
      // The public contract is unchanged: every call that shows the factor shows its portal.
      expect((await client.listFactors({ user_id: 'u-portal' })).factors).toEqual([factor]);
      expect((await client.getUserStatus({ user_id: 'u-portal' })).factors).toEqual([factor]);

      const [job] = await preauthJobsOf(factor.id);
      expect(job.returnvalue).toEqual({ v: 2, result: 'enroll', statusMessage: expect.any(String), sealedEnrollPortalUrl: expect.stringMatching(/^v1\.test1\./) });
      const redisText = [...(await redisContents(redis, gateway.config.queuePrefix)).values()].join('\n');
      expect(redisText).toContain(job.returnvalue.sealedEnrollPortalUrl);
      expect(redisText).not.toContain(code);

      expect(await factorRow(factor.id)).toEqual({ enroll_url: null, enroll_url_enc: expect.stringMatching(/^v1\.test1\./) });
      expect(await databaseText()).not.toContain(code);

      // Still not enrolled in Duo: ConfirmEnrollment asks again and gets (and seals) a new portal.
      const again = await client.confirmEnrollment({ user_id: 'u-portal', factor_id: factor.id, code: '' });
      expect(again.status).toBe('FACTOR_STATUS_PENDING');
      expect(again.enroll_url).toMatch(/^https:\/\/api-test\.duosecurity\.com\/portal\?code=/);
      expect(again.enroll_url).not.toBe(url);
      expect((await client.listFactors({ user_id: 'u-portal' })).factors).toEqual([again]);
      expect(await databaseText()).not.toContain(new URL(again.enroll_url).searchParams.get('code')!);

      duo.setUser('portal@example.com', 'allow');
      const confirmed = await client.confirmEnrollment({ user_id: 'u-portal', factor_id: factor.id, code: '' });
      expect(confirmed).toMatchObject({ status: 'FACTOR_STATUS_ACTIVE', enroll_url: '' });
      expect(await factorRow(factor.id)).toEqual({ enroll_url: null, enroll_url_enc: null });
    } finally {
      await worker.close();
    }
  });

  it('during a rolling deploy, takes the plaintext answer of an older duo worker, stores it sealed and removes that job from Redis', async () => {
    const legacyUrl = 'https://api-test.duosecurity.com/portal?code=01dc0de5&akey=DAKLEGACY';
    const connection = createBullConnection(gateway.env.REDIS_URL);
    const legacy = new Worker(QueueName.Duo, async () => ({ result: 'enroll', statusMessage: 'Enroll an authentication device to proceed', enrollPortalUrl: legacyUrl }), {
      connection,
      prefix: gateway.config.queuePrefix,
    });
    try {
      const { factor } = await client.enrollFactor({ user_id: 'u-legacy', type: 'FACTOR_TYPE_DUO', duo_username: 'legacy@example.com' });
      expect(factor).toMatchObject({ status: 'FACTOR_STATUS_PENDING', enroll_url: legacyUrl });
      expect((await client.listFactors({ user_id: 'u-legacy' })).factors).toEqual([factor]);
      expect(await factorRow(factor.id)).toEqual({ enroll_url: null, enroll_url_enc: expect.stringMatching(/^v1\.test1\./) });
      expect(await databaseText()).not.toContain('01dc0de5');
      expect(await preauthJobsOf(factor.id)).toEqual([]);
      // BullMQ's event stream keeps its own copy of a return value: only the job itself could go.
      const jobKeys = [...(await redisContents(redis, gateway.config.queuePrefix)).entries()].filter(([key]) => !key.endsWith(':events'));
      expect(jobKeys.map(([, content]) => content).join('\n')).not.toContain('01dc0de5');
    } finally {
      await legacy.close();
      connection.disconnect();
    }
  });
});
