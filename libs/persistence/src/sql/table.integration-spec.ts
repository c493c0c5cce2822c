import { Client } from 'pg';
import { QueryFailedError } from 'typeorm';
import { hashApiKey } from '@mfa/crypto';
import { createTestDatabase, type TestDatabase } from '@mfa/testing';
import { Database } from '../database';
import { ChallengeEntity } from '../entities/challenge.entity';
import { FactorEntity } from '../entities/factor.entity';
import { ChallengeRepository } from '../repositories/challenge.repository';
import { FactorRepository } from '../repositories/factor.repository';
import { UserStateEntity } from '../entities/user-state.entity';
import { TenantRepository } from '../repositories/tenant.repository';
import { UserStateRepository } from '../repositories/user-state.repository';
import { TenantAdmin } from '../tenant-admin';
import { DeferredWrites, StaleWriteError } from './deferred-writes';
import { Table } from './table';

function challenge(id: string, overrides: Partial<ChallengeEntity> = {}): ChallengeEntity {
  return Object.assign(new ChallengeEntity(), {
    id, tenantId: 'ten_1', userId: 'alice', factorId: 'fac_1', type: 'SMS', purpose: 'challenge', status: 'PENDING', delivery: 'QUEUED',
    reason: '', attemptsRemaining: 5, idempotencyKey: null, context: null, locale: '', codeLength: 6, bindingCode: null,
    createdAt: 1_700_000_000_123, expiresAt: 1_700_000_300_123, resolvedAt: null,
    ...overrides,
  });
}

describe.each(['sqlite', 'postgres'] as const)('Table (%s)', (driver) => {
  let testDb: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase(driver);
    database = await Database.open(testDb.url);
  });
  afterAll(async () => {
    await database.close();
    await testDb.drop();
  });

  const challenges = (): Table<ChallengeEntity> => Table.of(database.manager, ChallengeEntity);

  it('reads back what it wrote with the types TypeORM gives (epoch ms as numbers, nulls as null)', async () => {
    await challenges().insert(challenge('ch_types'));
    const mine = await challenges().findOne({ id: 'ch_types', tenantId: 'ten_1' });
    const typeorms = await database.manager.findOneByOrFail(ChallengeEntity, { id: 'ch_types' });
    expect(mine).toBeInstanceOf(ChallengeEntity);
    expect(mine).toEqual(typeorms);
    expect(mine?.createdAt).toBe(1_700_000_000_123);
    expect(mine?.resolvedAt).toBeNull();
  });

  it('matches every condition, treats null as IS NULL and orders as asked', async () => {
    await challenges().insert(challenge('ch_a', { factorId: 'fac_o', createdAt: 3 }));
    await challenges().insert(challenge('ch_b', { factorId: 'fac_o', createdAt: 1 }));
    await challenges().insert(challenge('ch_c', { factorId: 'fac_o', createdAt: 2, idempotencyKey: 'k' }));
    expect((await challenges().find({ factorId: 'fac_o' }, { createdAt: 'ASC' })).map((c) => c.id)).toEqual(['ch_b', 'ch_c', 'ch_a']);
    expect((await challenges().find({ factorId: 'fac_o', idempotencyKey: null }, { createdAt: 'DESC' })).map((c) => c.id)).toEqual(['ch_a', 'ch_b']);
    expect(await challenges().count({ factorId: 'fac_o', idempotencyKey: 'k' })).toBe(1);
    expect(await challenges().findOne({ id: 'ch_a', tenantId: 'another tenant' })).toBeNull();
  });

  it('updates only the matching rows and says how many changed', async () => {
    await challenges().insert(challenge('ch_u'));
    expect(await challenges().update({ id: 'ch_u', status: 'PENDING' }, { status: 'APPROVED', resolvedAt: 5 })).toBe(1);
    expect(await challenges().update({ id: 'ch_u', status: 'PENDING' }, { status: 'DENIED' })).toBe(0);
    expect(await challenges().findOne({ id: 'ch_u' })).toMatchObject({ status: 'APPROVED', resolvedAt: 5 });
  });

  it('saves every column of a row by its primary key', async () => {
    await challenges().insert(challenge('ch_s'));
    const row = (await challenges().findOne({ id: 'ch_s' }))!;
    Object.assign(row, { attemptsRemaining: 2, delivery: 'SENT', reason: 'r' });
    await challenges().save(row);
    expect(await challenges().findOne({ id: 'ch_s' })).toEqual(row);
  });

  it('saves only what the caller changed: a column changed meanwhile by someone else survives', async () => {
    await challenges().insert(challenge('ch_race'));
    const stale = (await challenges().findOne({ id: 'ch_race' }))!;
    expect(await new ChallengeRepository(database.manager).advanceDelivery('ch_race', 'QUEUED', 'SENT')).toBe(true);
    Object.assign(stale, { status: 'APPROVED', resolvedAt: 7 });
    await challenges().save(stale);
    expect(await challenges().findOne({ id: 'ch_race' })).toMatchObject({ status: 'APPROVED', resolvedAt: 7, delivery: 'SENT' });
  });

  it('refuses a statement without conditions rather than touching every row', async () => {
    await expect(challenges().update({}, { status: 'EXPIRED' })).rejects.toThrow(/unconditional/);
  });

  it('reports a broken constraint as TypeORM does', async () => {
    await challenges().insert(challenge('ch_dup'));
    await expect(challenges().insert(challenge('ch_dup'))).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('reads a challenge with its factor in one statement, and with null once the factor is gone', async () => {
    const tenantId = (await new TenantAdmin(database).createTenant('join-spec')).id;
    const factor = Object.assign(new FactorEntity(), {
      id: 'fac_join', tenantId, userId: 'alice', type: 'TOTP', status: 'ACTIVE', display: 'x', label: '', locale: '', secretEnc: 'sealed',
      destinationEnc: null, destinationIndex: null, totpLastStep: 59_000_000, totpDrift: -1, deviceId: null, devicePublicKey: null, pushTokenEnc: null,
      enrollUrl: null, createdAt: 1, lastUsedAt: null,
    });
    const factors = new FactorRepository(database.manager);
    await factors.insert(factor);
    await challenges().insert(challenge('ch_join', { tenantId, factorId: 'fac_join', type: 'TOTP' }));
    const repository = new ChallengeRepository(database.manager);
    const found = await repository.findInTenantWithFactor(tenantId, 'ch_join');
    expect(found?.challenge).toEqual(await challenges().findOne({ id: 'ch_join' }));
    expect(found?.factor).toEqual(await factors.findById('fac_join'));
    expect(found?.factor).toBeInstanceOf(FactorEntity);
    expect(await repository.findInTenantWithFactor('another tenant', 'ch_join')).toBeNull();
    await factors.delete('fac_join');
    expect((await repository.findInTenantWithFactor(tenantId, 'ch_join'))?.factor).toBeNull();
  });

  it('locks a user state row, creating it at zero on first use', async () => {
    const created = await database.transaction((manager) => new UserStateRepository(manager).lock('ten_1', 'new-user', 42));
    expect(created).toBeInstanceOf(UserStateEntity);
    expect(created).toMatchObject({ tenantId: 'ten_1', userId: 'new-user', consecutiveFailures: 0, lockedUntil: null, updatedAt: 42 });
    await new UserStateRepository(database.manager).save(Object.assign(created, { consecutiveFailures: 3, lockedUntil: 99, updatedAt: 43 }));
    const again = await database.transaction((manager) => new UserStateRepository(manager).lock('ten_1', 'new-user', 44));
    expect(again).toMatchObject({ consecutiveFailures: 3, lockedUntil: 99, updatedAt: 43 });
  });

  it('locks the user of a challenge by its id, and nothing for a challenge of another tenant', async () => {
    await challenges().insert(challenge('ch_lock', { userId: 'locked-by-challenge' }));
    const state = await database.transaction((manager) => new UserStateRepository(manager).lockForChallenge('ten_1', 'ch_lock', 42));
    expect(state).toBeInstanceOf(UserStateEntity);
    expect(state).toMatchObject({ tenantId: 'ten_1', userId: 'locked-by-challenge', consecutiveFailures: 0, updatedAt: 42 });
    expect(await database.transaction((manager) => new UserStateRepository(manager).lockForChallenge('another tenant', 'ch_lock', 43))).toBeNull();
    expect(await database.transaction((manager) => new UserStateRepository(manager).lockForChallenge('ten_1', 'ch_missing', 43))).toBeNull();
    expect(await new UserStateRepository(database.manager).find('another tenant', 'locked-by-challenge')).toBeNull();
  });

  describe('in a transaction, writes held back until the next statement', () => {
    it('sends them together, and a read in the transaction sees them', async () => {
      await database.transaction(async (manager) => {
        const table = Table.of(manager, ChallengeEntity);
        await table.insert(challenge('ch_held_1'));
        await table.insert(challenge('ch_held_2'));
        const first = challenge('ch_held_3');
        await table.insert(first);
        first.status = 'APPROVED'; // the same row again: sent after the insert, not beside it
        await table.save(first);
        expect((await table.find({ tenantId: 'ten_1', status: 'APPROVED' })).map((c) => c.id)).toContain('ch_held_3');
        expect(await manager.countBy(ChallengeEntity, { id: 'ch_held_2' })).toBe(1); // TypeORM's own reads too
      });
      expect((await challenges().findOne({ id: 'ch_held_3' }))?.status).toBe('APPROVED');
    });

    it('on PostgreSQL only (on SQLite a read from outside the transaction shares its one connection)', async () => {
      await database.transaction(async (manager) => expect(DeferredWrites.enabled(manager.queryRunner)).toBe(driver === 'postgres'));
    });

    it('are all undone when one fails at the commit', async () => {
      await challenges().insert(challenge('ch_taken'));
      const attempt = database.transaction(async (manager) => {
        const table = Table.of(manager, ChallengeEntity);
        await table.insert(challenge('ch_never'));
        await table.insert(challenge('ch_taken'));
      });
      await expect(attempt).rejects.toBeInstanceOf(QueryFailedError);
      expect(await challenges().findOne({ id: 'ch_never' })).toBeNull();
    });

    it('are forgotten when the work throws', async () => {
      await expect(
        database.transaction(async (manager) => {
          await Table.of(manager, ChallengeEntity).insert(challenge('ch_thrown'));
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await challenges().findOne({ id: 'ch_thrown' })).toBeNull();
    });
  });

  it('records an accepted TOTP step only over the record it was checked against, refusing a step taken meanwhile and rolling back the rest', async () => {
    const tenantId = (await new TenantAdmin(database).createTenant('step-spec')).id;
    const factor = Object.assign(new FactorEntity(), {
      id: 'fac_step', tenantId, userId: 'alice', type: 'TOTP', status: 'ACTIVE', display: 'x', label: '', locale: '', secretEnc: 'sealed',
      destinationEnc: null, destinationIndex: null, totpLastStep: null, totpRecentSteps: null, totpDrift: 0, deviceId: null, devicePublicKey: null, pushTokenEnc: null,
      enrollUrl: null, createdAt: 1, lastUsedAt: null,
    });
    const none = { last: null, recent: null };
    await new FactorRepository(database.manager).insert(factor);
    const stale = await new FactorRepository(database.manager).findById('fac_step');
    await database.transaction((manager) => new FactorRepository(manager).saveAcceptedTotpStep(Object.assign(factor, { totpLastStep: 100, totpRecentSteps: [100], lastUsedAt: 5 }), none));
    const replay = database.transaction(async (manager) => {
      await Table.of(manager, ChallengeEntity).insert(challenge('ch_replayed'));
      await new FactorRepository(manager).saveAcceptedTotpStep(Object.assign(stale!, { totpLastStep: 100, totpRecentSteps: [100], lastUsedAt: 6 }), none);
    });
    await expect(replay).rejects.toBeInstanceOf(StaleWriteError);
    expect(await challenges().findOne({ id: 'ch_replayed' })).toBeNull();
    expect(await new FactorRepository(database.manager).findById('fac_step')).toMatchObject({ totpLastStep: 100, totpRecentSteps: [100], lastUsedAt: 5 });
    // An earlier step of the window after a later one: the list grows, the highest step stays.
    await new FactorRepository(database.manager).saveAcceptedTotpStep(Object.assign(factor, { totpRecentSteps: [99, 100], lastUsedAt: 7 }), { last: 100, recent: [100] });
    expect(await new FactorRepository(database.manager).findById('fac_step')).toMatchObject({ totpLastStep: 100, totpRecentSteps: [99, 100] });
    // A record moved by a gateway of the previous release (no list) is matched as such.
    await database.manager.query(`UPDATE ${Table.of(database.manager, FactorEntity).name} SET totp_last_step = 101, totp_recent_steps = NULL WHERE id = 'fac_step'`);
    await expect(new FactorRepository(database.manager).saveAcceptedTotpStep(Object.assign(factor, { totpLastStep: 102, totpRecentSteps: [99, 100, 102] }), { last: 100, recent: [99, 100] })).rejects.toBeInstanceOf(StaleWriteError);
    await new FactorRepository(database.manager).saveAcceptedTotpStep(Object.assign(factor, { totpLastStep: 102, totpRecentSteps: [100, 101, 102] }), { last: 101, recent: null });
    expect(await new FactorRepository(database.manager).findById('fac_step')).toMatchObject({ totpLastStep: 102, totpRecentSteps: [100, 101, 102] });
  });

  it('finds the tenant of an active API key in one statement, and not once the key is revoked', async () => {
    const admin = new TenantAdmin(database);
    const tenant = await admin.createTenant('table-spec');
    const issued = await admin.issueApiKey(tenant.id);
    const tenants = new TenantRepository(database.manager);
    const owner = await tenants.findByApiKeyHash(hashApiKey(issued.apiKey));
    expect(owner?.tenant).toEqual(tenant);
    expect(owner?.apiKey.id).toBe(issued.id);
    await tenants.revokeApiKey(issued.id, Date.now());
    expect(await tenants.findByApiKeyHash(hashApiKey(issued.apiKey))).toBeNull();
  });
});

describe('Table on PostgreSQL with DATABASE_URL ?schema=', () => {
  let testDb: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    const setup = new Client({ connectionString: testDb.url });
    await setup.connect();
    await setup.query('CREATE SCHEMA tenant_area');
    await setup.end();
    database = await Database.open(`${testDb.url}?schema=tenant_area`);
  });
  afterAll(async () => {
    await database?.close();
    await testDb.drop();
  });

  it("reads and writes the schema's tables, not public's", async () => {
    const admin = new TenantAdmin(database);
    const tenant = await admin.createTenant('in-schema');
    const issued = await admin.issueApiKey(tenant.id);
    expect((await new TenantRepository(database.manager).findByApiKeyHash(hashApiKey(issued.apiKey)))?.tenant.id).toBe(tenant.id);
    const state = await database.withUserLock(tenant.id, 'bob', async (_manager, locked) => locked);
    expect(state).toMatchObject({ tenantId: tenant.id, userId: 'bob', consecutiveFailures: 0 });
    const [{ n }] = (await database.dataSource.query(`SELECT COUNT(*)::int AS n FROM tenant_area.user_states`)) as { n: number }[];
    expect(n).toBe(1);
    const [{ exists }] = (await database.dataSource.query(`SELECT to_regclass('public.user_states') IS NOT NULL AS exists`)) as { exists: boolean }[];
    expect(exists).toBe(false);
  });
});
