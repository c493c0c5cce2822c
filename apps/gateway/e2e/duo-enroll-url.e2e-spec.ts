import { Queue, Worker } from 'bullmq';
import type { MfaClient } from '@mfa/client';
import { Keyring } from '@mfa/crypto';
import { DuoFake } from '@mfa/fakes';
import { createLogger } from '@mfa/observability';
import { Database, factorEnrollUrlAad } from '@mfa/persistence';
import { createBullConnection, QueueName, type RedisConnection } from '@mfa/queue';
import { createTestDatabase, redisContents } from '@mfa/testing';
import { loadWorkerConfig, startWorker } from '@mfa/worker-host';
import { createDuoWorker } from '../../duo-worker/src/duo.worker';
import { LegacyEnrollUrlSealer } from '../src/services/legacy-enroll-url-sealer.service';
import { startGateway, type RunningGateway } from './gateway-harness';

interface FactorRow {
  enroll_url: string | null;
  enroll_url_enc: string | null;
}

/** A PENDING Duo factor row as a gateway writes it, `columns` added (enroll_url, enroll_url_enc). */
async function insertDuoFactor(database: Database, id: string, userId: string, columns: Partial<FactorRow>): Promise<void> {
  const [tenant] = (await database.dataSource.query(`SELECT id FROM tenants WHERE name = 'default'`)) as { id: string }[];
  const names = Object.keys(columns);
  const values = Object.values(columns).map((value) => (value === null ? 'NULL' : `'${value}'`));
  await database.dataSource.query(
    `INSERT INTO factors (id, tenant_id, user_id, type, status, display, created_at${names.map((n) => `, ${n}`).join('')}) ` +
      `VALUES ('${id}', '${tenant.id}', '${userId}', 'DUO', 'PENDING', 'Duo x', ${Date.now()}${values.map((v) => `, ${v}`).join('')})`,
  );
}

const factorRowIn = async (database: Database, id: string): Promise<FactorRow> => {
  const [row] = (await database.dataSource.query(`SELECT enroll_url, enroll_url_enc FROM factors WHERE id = '${id}'`)) as FactorRow[];
  return row;
};

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
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    duo = new DuoFake({ host: 'api-test.duosecurity.com', answerDelayMs: 50 });
    await duo.start();
    const logger = createLogger('gateway', { write: (line: string) => void logLines.push(JSON.parse(line)) }, 'info');
    gateway = await startGateway({ driver, logger });
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

  const factorRow = (id: string): Promise<FactorRow> => factorRowIn(gateway.database, id);
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

  it('serves a portal URL stored in clear before it was sealed (or by a gateway of the previous release), then seals it: the answer stays the same', async () => {
    const legacyUrl = 'https://api-test.duosecurity.com/portal?code=c1ea7e71&akey=DAKCLEAR';
    await insertDuoFactor(gateway.database, 'fac_clear_url', 'u-clear', { enroll_url: legacyUrl });
    const { factors } = await client.listFactors({ user_id: 'u-clear' });
    expect(factors).toEqual([expect.objectContaining({ id: 'fac_clear_url', status: 'FACTOR_STATUS_PENDING', enroll_url: legacyUrl })]);
    expect((await client.getUserStatus({ user_id: 'u-clear' })).factors).toEqual(factors);
    expect(await factorRow('fac_clear_url')).toEqual({ enroll_url: legacyUrl, enroll_url_enc: null });

    // What every gateway start runs (and `mfa-admin keys rotate`).
    expect(await gateway.app.get(LegacyEnrollUrlSealer).run()).toBe(1);
    const row = await factorRow('fac_clear_url');
    expect(row).toEqual({ enroll_url: null, enroll_url_enc: expect.stringMatching(/^v1\.test1\./) });
    expect(gateway.config.keyring.decryptText(row.enroll_url_enc!, factorEnrollUrlAad('fac_clear_url'))).toBe(legacyUrl);
    expect(await databaseText()).not.toContain('c1ea7e71');
    expect((await client.listFactors({ user_id: 'u-clear' })).factors).toEqual(factors);
    expect((await client.getUserStatus({ user_id: 'u-clear' })).factors).toEqual(factors);
  });

  it('answers a portal URL that no longer opens (its key retired) as empty, not INTERNAL, and logs it without the URL', async () => {
    const retired = Keyring.parse(Keyring.generateSpec('retired'));
    const lost = 'https://api-test.duosecurity.com/portal?code=0ld0ne&akey=DAKRETIRED';
    const kept = 'https://api-test.duosecurity.com/portal?code=600d0ne&akey=DAKKEPT';
    await insertDuoFactor(gateway.database, 'fac_retired_url', 'u-retired', { enroll_url_enc: retired.encrypt(lost, factorEnrollUrlAad('fac_retired_url')) });
    await insertDuoFactor(gateway.database, 'fac_kept_url', 'u-retired', { enroll_url_enc: gateway.config.keyring.encrypt(kept, factorEnrollUrlAad('fac_kept_url')) });
    const linesBefore = logLines.length;

    const { factors } = await client.listFactors({ user_id: 'u-retired' });
    expect(factors.map((f) => [f.id, f.enroll_url]).sort()).toEqual([
      ['fac_kept_url', kept],
      ['fac_retired_url', ''],
    ]);
    const status = await client.getUserStatus({ user_id: 'u-retired' });
    expect(status.factors.map((f) => [f.id, f.enroll_url]).sort()).toEqual([
      ['fac_kept_url', kept],
      ['fac_retired_url', ''],
    ]);
    const logged = logLines.slice(linesBefore);
    expect(logged).toEqual(expect.arrayContaining([expect.objectContaining({ level: 'warn', factorId: 'fac_retired_url' })]));
    expect(JSON.stringify(logged)).not.toContain('0ld0ne');
    expect(JSON.stringify(logged)).not.toContain('600d0ne');
  });

  it('seals what is left in clear when a gateway starts', async () => {
    const database = await createTestDatabase(driver);
    const env = { MFA_ENCRYPTION_KEYS: Keyring.generateSpec('boot') };
    const legacyUrl = 'https://api-test.duosecurity.com/portal?code=b007c0de&akey=DAKBOOT';
    let started: RunningGateway | undefined;
    try {
      // A first start migrates and creates the tenant; the row appears while no gateway runs.
      await (await startGateway({ driver, database, env })).close();
      const offline = await Database.open(database.url);
      try {
        await insertDuoFactor(offline, 'fac_boot_url', 'u-boot', { enroll_url: legacyUrl });
      } finally {
        await offline.close();
      }

      started = await startGateway({ driver, database, env });
      // In the background: start-up does not wait for it.
      const deadline = Date.now() + 10_000;
      while ((await factorRowIn(started.database, 'fac_boot_url')).enroll_url !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await factorRowIn(started.database, 'fac_boot_url')).toEqual({ enroll_url: null, enroll_url_enc: expect.stringMatching(/^v1\.boot\./) });
      const { factors } = await started.client().listFactors({ user_id: 'u-boot' });
      expect(factors).toEqual([expect.objectContaining({ id: 'fac_boot_url', enroll_url: legacyUrl })]);
    } finally {
      await started?.close();
      await database.drop();
    }
  });
});
