import { MigrationExecutor, type DataSource } from 'typeorm';
import { Keyring } from '@mfa/crypto';
import { createTestDatabase, type TestDatabase } from '@mfa/testing';
import { Database } from './database';
import { ChallengeEntity } from './entities/challenge.entity';
import { FactorEntity } from './entities/factor.entity';
import { factorEnrollUrlAad, factorSecretAad, rotateEncryptionKeys } from './key-rotation';
import { AuditRepository } from './repositories/audit.repository';
import { ChallengeRepository } from './repositories/challenge.repository';
import { FactorRepository } from './repositories/factor.repository';
import { UserStateRepository } from './repositories/user-state.repository';
import { TenantAdmin } from './tenant-admin';

function challenge(tenantId: string, id: string, overrides: Partial<ChallengeEntity>, now: number): ChallengeEntity {
  return Object.assign(new ChallengeEntity(), {
    id, tenantId, userId: 'outsider', factorId: 'fac_1', type: 'PUSH', purpose: 'challenge', status: 'PENDING', delivery: 'QUEUED',
    reason: '', attemptsRemaining: 5, idempotencyKey: null, context: null, locale: '', codeLength: null, bindingCode: null,
    createdAt: now, expiresAt: now + 300_000, resolvedAt: null, redeemedAt: null,
    ...overrides,
  });
}

/** Undoes the migrations from the newest back to `name`, so a test can write rows as they were before it. */
async function undoMigrationsThrough(source: DataSource, name: string): Promise<void> {
  for (;;) {
    const [newest] = await new MigrationExecutor(source).getExecutedMigrations();
    if (!newest) throw new Error(`migration ${name} was never run`);
    await source.undoLastMigration();
    if (newest.name === name) return;
  }
}

function duoFactor(tenantId: string, id: string, overrides: Partial<FactorEntity>): FactorEntity {
  return Object.assign(new FactorEntity(), {
    id, tenantId, userId: 'duo', type: 'DUO', status: 'PENDING', display: 'Duo x', label: '', locale: '', secretEnc: null,
    destinationEnc: null, destinationIndex: null, totpLastStep: null, totpDrift: 0, deviceId: null, devicePublicKey: null, pushTokenEnc: null,
    enrollUrlEnc: null, createdAt: Date.now(), lastUsedAt: null,
    ...overrides,
  });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe.each(['sqlite', 'postgres'] as const)('Database (%s)', (driver) => {
  let testDb: TestDatabase;
  let database: Database;
  let tenantId: string;

  beforeAll(async () => {
    testDb = await createTestDatabase(driver);
    database = await Database.open(testDb.url);
    tenantId = (await new TenantAdmin(database).createTenant('acme')).id;
  });
  afterAll(async () => {
    await database.close();
    await testDb.drop();
  });

  it('runs the migrations once; opening again is a no-op', async () => {
    const again = await Database.open(testDb.url);
    const tables = await again.dataSource.query(
      driver === 'postgres' ? `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'` : `SELECT name FROM sqlite_master WHERE type = 'table'`,
    );
    await again.close();
    expect((tables as { name: string }[]).map((t) => t.name)).toEqual(
      expect.arrayContaining(['tenants', 'api_keys', 'factors', 'challenges', 'recovery_codes', 'used_totp_steps', 'user_states', 'audit_events']),
    );
  });

  it('counts approvals made before the redeemed_at migration as reported', async () => {
    const source = database.dataSource;
    await undoMigrationsThrough(source, 'ChallengeRedeemedAt1733011200000');
    const row = (id: string, status: string) =>
      source.query(
        `INSERT INTO challenges (id, tenant_id, user_id, factor_id, type, status, delivery, attempts_remaining, created_at, expires_at, resolved_at) VALUES ('${id}', '${tenantId}', 'u1', 'fac_1', 'PUSH', '${status}', 'SENT', 5, 1000, 301000, ${status === 'PENDING' ? 'NULL' : '2000'})`,
      );
    await row('chl_old_approved', 'APPROVED');
    await row('chl_old_pending', 'PENDING');
    await source.runMigrations();
    const rows = (await source.query(`SELECT id, redeemed_at FROM challenges WHERE id LIKE 'chl_old_%' ORDER BY id`)) as { id: string; redeemed_at: string | number | null }[];
    expect(rows.map((r) => [r.id, r.redeemed_at === null ? null : Number(r.redeemed_at)])).toEqual([
      ['chl_old_approved', 2000],
      ['chl_old_pending', null],
    ]);
  });

  it('keeps the Duo portal URLs stored in clear before enroll_url_enc (a migration has no keyring to seal them): read as legacy until sealed', async () => {
    const source = database.dataSource;
    await undoMigrationsThrough(source, 'DuoEnrollUrlSealed1733097600000');
    const url = 'https://api-x.duosecurity.com/portal?code=0ldc0de';
    await source.query(
      `INSERT INTO factors (id, tenant_id, user_id, type, status, display, enroll_url, created_at) VALUES ('fac_old_duo', '${tenantId}', 'u1', 'DUO', 'PENDING', 'Duo x', '${url}', 1000)`,
    );
    await source.runMigrations();
    expect(await source.query(`SELECT enroll_url, enroll_url_enc FROM factors WHERE id = 'fac_old_duo'`)).toEqual([{ enroll_url: url, enroll_url_enc: null }]);
    expect(await new FactorRepository(database.manager).findById('fac_old_duo')).toMatchObject({ status: 'PENDING', legacyEnrollUrl: url, enrollUrlEnc: null, enrollUrl: null });
    await new FactorRepository(database.manager).delete('fac_old_duo');
  });

  it('seals the plaintext portal URLs left, in pages: each opens to the same URL, the plaintext is gone, a rerun finds none', async () => {
    const keyring = Keyring.parse(Keyring.generateSpec('k'));
    const factors = new FactorRepository(database.manager);
    const ids = ['fac_legacy_1', 'fac_legacy_2', 'fac_legacy_3', 'fac_legacy_4', 'fac_legacy_5'];
    for (const id of ids) await factors.insert(duoFactor(tenantId, id, { legacyEnrollUrl: `https://api-x.duosecurity.com/portal?code=${id}-c0de` }));
    const seal = (factorId: string, url: string): string => keyring.encrypt(url, factorEnrollUrlAad(factorId));

    // A gateway shutting down stops between rows.
    expect(await factors.sealLegacyEnrollUrls(seal, { pageSize: 2, stopped: () => true })).toBe(0);
    expect(await factors.sealLegacyEnrollUrls(seal, { pageSize: 2 })).toBe(5);
    for (const id of ids) {
      const stored = await factors.findById(id);
      expect(stored).toMatchObject({ legacyEnrollUrl: null, enrollUrlEnc: expect.stringMatching(/^v1\.k\./) });
      expect(keyring.decryptText(stored!.enrollUrlEnc!, factorEnrollUrlAad(id))).toBe(`https://api-x.duosecurity.com/portal?code=${id}-c0de`);
    }
    expect(JSON.stringify(await database.dataSource.query('SELECT * FROM factors'))).not.toContain('-c0de');
    expect(await factors.sealLegacyEnrollUrls(seal)).toBe(0);
    for (const id of ids) await factors.delete(id);
  });

  it('does not overwrite a portal URL written after it was read (an older gateway’s newer URL, an activation): that row waits for the next run', async () => {
    const keyring = Keyring.parse(Keyring.generateSpec('k'));
    const factors = new FactorRepository(database.manager);
    const first = 'https://api-x.duosecurity.com/portal?code=f1rst';
    const newer = 'https://api-x.duosecurity.com/portal?code=n3wer';
    await factors.insert(duoFactor(tenantId, 'fac_legacy_race', { legacyEnrollUrl: first }));
    const read = (await factors.pageWithLegacyEnrollUrl('', 1000)).find((f) => f.id === 'fac_legacy_race');
    expect(read?.legacyEnrollUrl).toBe(first);
    // Meanwhile a gateway of the previous release asks Duo again and stores its new URL in clear.
    await database.dataSource.query(`UPDATE factors SET enroll_url = '${newer}' WHERE id = 'fac_legacy_race'`);
    expect(await factors.sealLegacyEnrollUrl(read!.id, read!.legacyEnrollUrl!, keyring.encrypt(first, factorEnrollUrlAad(read!.id)))).toBe(false);
    expect(await factors.findById('fac_legacy_race')).toMatchObject({ legacyEnrollUrl: newer, enrollUrlEnc: null });
    // Or activates the factor, which empties it: nothing to seal, nothing sealed.
    await database.dataSource.query(`UPDATE factors SET status = 'ACTIVE', enroll_url = NULL WHERE id = 'fac_legacy_race'`);
    expect(await factors.sealLegacyEnrollUrl('fac_legacy_race', newer, keyring.encrypt(newer, factorEnrollUrlAad('fac_legacy_race')))).toBe(false);
    expect(await factors.findById('fac_legacy_race')).toMatchObject({ status: 'ACTIVE', legacyEnrollUrl: null, enrollUrlEnc: null });
    await factors.delete('fac_legacy_race');
  });

  it('stores a Duo portal URL only sealed: the opened URL on the entity is never written', async () => {
    const keyring = Keyring.parse(Keyring.generateSpec('k'));
    const url = 'https://api-x.duosecurity.com/portal?code=5ea1ed';
    const factors = new FactorRepository(database.manager);
    const factor = duoFactor(tenantId, 'fac_sealed_url', { enrollUrlEnc: keyring.encrypt(url, factorEnrollUrlAad('fac_sealed_url')), enrollUrl: url });
    await factors.insert(factor);
    factor.enrollUrl = `${url}-changed`;
    await factors.save(factor);
    expect(JSON.stringify(await database.dataSource.query('SELECT * FROM factors'))).not.toContain('5ea1ed');
    const stored = await factors.findById('fac_sealed_url');
    expect(stored?.enrollUrl).toBeNull();
    expect(keyring.decryptText(stored!.enrollUrlEnc!, factorEnrollUrlAad('fac_sealed_url'))).toBe(url);
    await factors.delete('fac_sealed_url');
  });

  it('serialises concurrent writers of one user: no increment is lost', async () => {
    await Promise.all(
      Array.from({ length: 25 }, () =>
        database.withUserLock(tenantId, 'racer', async (manager, state) => {
          state.consecutiveFailures += 1;
          state.updatedAt = Date.now();
          await new UserStateRepository(manager).save(state);
        }),
      ),
    );
    expect((await new UserStateRepository(database.manager).find(tenantId, 'racer'))?.consecutiveFailures).toBe(25);
  });

  it('keeps statements outside a transaction out of it: its rollback spares them, and they never read its uncommitted rows', async () => {
    const now = Date.now();
    const outside = new ChallengeRepository(database.manager);
    await outside.insert(challenge(tenantId, 'chl_outside', { status: 'APPROVED', delivery: 'QUEUED' }, now));
    const wrote = deferred();
    const resume = deferred();
    const failing = database.transaction(async (manager) => {
      await new ChallengeRepository(manager).insert(challenge(tenantId, 'chl_rolled_back', {}, now));
      await new UserStateRepository(manager).lock(tenantId, 'rolled-back', now);
      wrote.resolve();
      await resume.promise;
      throw new Error('send rate limit');
    });
    await wrote.promise;
    // While the transaction is open (on SQLite these wait for it to end): a reported approval, a delivery report, reads.
    const statements = Promise.all([
      outside.redeemApproval('chl_outside', now),
      outside.advanceDelivery('chl_outside', 'QUEUED', 'SENT'),
      outside.findById('chl_rolled_back'),
      new UserStateRepository(database.manager).find(tenantId, 'rolled-back'),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    resume.resolve();
    await expect(failing).rejects.toThrow('send rate limit');
    expect(await statements).toEqual([true, true, null, null]);
    expect(await outside.findById('chl_outside')).toMatchObject({ redeemedAt: now, delivery: 'SENT' });
    expect(await outside.redeemApproval('chl_outside', now)).toBe(false);
    expect(await outside.findById('chl_rolled_back')).toBeNull();
  });

  it('runs a statement made through the outside manager during a transaction rather than wait for the transaction to end', async () => {
    const now = Date.now();
    await new ChallengeRepository(database.manager).insert(challenge(tenantId, 'chl_inside', {}, now));
    const found = await database.transaction(() => new ChallengeRepository(database.manager).findById('chl_inside'));
    expect(found?.id).toBe('chl_inside');
  });

  if (driver === 'sqlite') {
    it('refuses a transaction inside a transaction rather than wait for itself', async () => {
      await expect(database.transaction(() => database.transaction(async () => 'never'))).rejects.toThrow('cannot be opened inside another');
      await expect(database.transaction(async () => 'after')).resolves.toBe('after');
    });
  }

  it('pages audit events newest first without gaps or repeats', async () => {
    const audit = new AuditRepository(database.manager);
    for (let i = 0; i < 7; i++) await audit.append({ tenantId, userId: 'pager', type: `t${i}` }, 1_000 + i);
    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await audit.page(tenantId, 'pager', before, 3);
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.type));
      before = page[page.length - 1].id;
    }
    expect(seen).toEqual(['t6', 't5', 't4', 't3', 't2', 't1', 't0']);
  });

  it('rotates keys: every secret is re-sealed with the new key and a rerun changes nothing', async () => {
    const oldSpec = Keyring.generateSpec('old');
    const newSpec = Keyring.generateSpec('new');
    const oldKeyring = Keyring.parse(oldSpec);
    const factors = new FactorRepository(database.manager);
    for (const id of ['fac_r1', 'fac_r2']) {
      await factors.insert(
        Object.assign(new FactorEntity(), {
          id, tenantId, userId: 'rot', type: 'TOTP', status: 'ACTIVE', display: 'x', label: '', locale: '',
          secretEnc: oldKeyring.encrypt(`secret-${id}`, factorSecretAad(id)), destinationEnc: null, destinationIndex: null,
          totpLastStep: null, totpDrift: 0, enrollUrl: null, createdAt: Date.now(), lastUsedAt: null,
        }),
      );
    }
    const url = 'https://api-x.duosecurity.com/portal?code=r0tated';
    await factors.insert(duoFactor(tenantId, 'fac_r3', { enrollUrlEnc: oldKeyring.encrypt(url, factorEnrollUrlAad('fac_r3')) }));
    // A portal URL still in clear (stored before enroll_url_enc): rotation seals it with the new key.
    const legacyUrl = 'https://api-x.duosecurity.com/portal?code=1egacy';
    await factors.insert(duoFactor(tenantId, 'fac_r4', { legacyEnrollUrl: legacyUrl }));
    const rotated = Keyring.parse(`${newSpec},${oldSpec}`);
    expect((await rotateEncryptionKeys(database, rotated)).reencrypted).toBeGreaterThanOrEqual(4);
    expect((await rotateEncryptionKeys(database, rotated)).reencrypted).toBe(0);
    const onlyNew = Keyring.parse(newSpec);
    const stored = await factors.findInTenant(tenantId, 'fac_r2');
    expect(onlyNew.decryptText(stored!.secretEnc!, factorSecretAad('fac_r2'))).toBe('secret-fac_r2');
    const duo = await factors.findInTenant(tenantId, 'fac_r3');
    expect(onlyNew.decryptText(duo!.enrollUrlEnc!, factorEnrollUrlAad('fac_r3'))).toBe(url);
    const legacy = await factors.findInTenant(tenantId, 'fac_r4');
    expect(legacy?.legacyEnrollUrl).toBeNull();
    expect(onlyNew.decryptText(legacy!.enrollUrlEnc!, factorEnrollUrlAad('fac_r4'))).toBe(legacyUrl);
    expect(JSON.stringify(await database.dataSource.query('SELECT * FROM factors'))).not.toContain('1egacy');
  });
});
