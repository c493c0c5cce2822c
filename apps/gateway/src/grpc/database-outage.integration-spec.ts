import { status } from '@grpc/grpc-js';
import { Client } from 'pg';
import { Database } from '@mfa/persistence';
import { createTestDatabase, TcpProxy, type TestDatabase } from '@mfa/testing';
import { isInfrastructureOutage, toGrpcError } from './grpc-status';

async function timed(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

describe('PostgreSQL that hangs (through a proxy that stops passing traffic)', () => {
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let database: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    await (await Database.open(testDb.url)).close();
  });
  beforeEach(async () => {
    proxy = await TcpProxy.inFrontOf(testDb.url).start();
    database = await Database.open(proxy.url(testDb.url));
  });
  afterEach(async () => {
    await proxy.stop();
    await database.close().catch(() => undefined);
  });
  afterAll(async () => {
    await testDb.drop();
  });

  it('fails a query within the query timeout with an outage (UNAVAILABLE), and serves again once the server answers', async () => {
    await database.ping();
    proxy.hang({ alsoNew: true });

    const { error, ms } = await timed(() => database.ping());
    expect(isInfrastructureOutage(error)).toBe(true);
    expect(toGrpcError(error).code).toBe(status.UNAVAILABLE);
    expect(ms).toBeGreaterThanOrEqual(3_000);
    expect(ms).toBeLessThan(4_500);

    // A new connection to a server that answers nothing: the pool gives up within its 2 s.
    const fresh = await timed(() => Promise.all(Array.from({ length: 3 }, () => database.ping())));
    expect(isInfrastructureOutage(fresh.error)).toBe(true);
    expect(fresh.ms).toBeLessThan(4_500);

    proxy.passNew();
    // The connection that timed out was cut, not pooled: every call is served again at once.
    for (let i = 0; i < 5; i++) {
      const { error: again, ms: took } = await timed(() => Promise.all(Array.from({ length: 4 }, () => database.ping())));
      expect(again).toBeUndefined();
      expect(took).toBeLessThan(1_000);
    }
  });

  it('drops dead pooled connections in a failover (old connections hung, new ones fine)', async () => {
    // Several pooled connections, all about to go dead.
    await Promise.all(Array.from({ length: 6 }, () => database.dataSource.query('SELECT pg_sleep(0.05)')));
    const pooled = proxy.openConnections;
    expect(pooled).toBeGreaterThanOrEqual(2);
    proxy.hang({ alsoNew: false });

    const first = await timed(() => Promise.all(Array.from({ length: pooled }, () => database.ping())));
    expect(isInfrastructureOutage(first.error)).toBe(true);
    expect(first.ms).toBeLessThan(4_500);
    await new Promise((resolve) => setTimeout(resolve, 4_000));

    // Each dead connection failed one call and was dropped; the pool opens new, working ones.
    for (let i = 0; i < 3; i++) {
      const { error, ms } = await timed(() => Promise.all(Array.from({ length: pooled }, () => database.ping())));
      expect(error).toBeUndefined();
      expect(ms).toBeLessThan(1_000);
    }
  }, 30_000);

  it('answers UNAVAILABLE to the calls queued behind a stuck transaction of the same user instead of holding them', async () => {
    await database.ping();
    proxy.hang({ alsoNew: true });
    const holder = timed(() => database.withUserLock('tenant', 'user', async () => undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiter = await timed(() => database.withUserLock('tenant', 'user', async () => undefined));
    expect((waiter.error as Error).name).toBe('LockWaitTimeoutError');
    expect(toGrpcError(waiter.error).code).toBe(status.UNAVAILABLE);
    expect(waiter.ms).toBeLessThan(4_000);
    const held = await holder;
    expect(toGrpcError(held.error).code).toBe(status.UNAVAILABLE);
    expect(held.ms).toBeLessThan(4_500);
  });
});

describe('PostgreSQL statement limits', () => {
  let testDb: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    database = await Database.open(testDb.url);
  });
  afterAll(async () => {
    await database.close();
    await testDb.drop();
  });

  it('cancels a statement past the statement timeout (UNAVAILABLE) and keeps the connection', async () => {
    const { error, ms } = await timed(() => database.dataSource.query('SELECT pg_sleep(10)'));
    expect((error as { driverError?: { code?: string } }).driverError?.code).toBe('57014');
    expect(toGrpcError(error).code).toBe(status.UNAVAILABLE);
    expect(ms).toBeLessThan(3_500);
    await expect(database.dataSource.query('SHOW statement_timeout')).resolves.toEqual([{ statement_timeout: '3s' }]);
  });

  it('lets migrations wait on the advisory lock past the statement limits, then restores them', async () => {
    const other = new Client({ connectionString: testDb.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock(724611001)');
      const migrating = timed(() => database.migrate());
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      await other.query('SELECT pg_advisory_unlock(724611001)');
      const { error, ms } = await migrating;
      expect(error).toBeUndefined();
      expect(ms).toBeGreaterThanOrEqual(4_500);
    } finally {
      await other.end();
    }
    const settings = await Promise.all(Array.from({ length: 4 }, () => database.dataSource.query('SHOW statement_timeout')));
    expect(settings.flat()).toEqual(Array.from({ length: 4 }, () => ({ statement_timeout: '3s' })));
  }, 15_000);
});
