import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { hashApiKey, Keyring, newId } from '@mfa/crypto';
import { AuditEventEntity, Database, FactorEntity, factorSecretAad, TenantRepository, UserStateEntity, UserStateRepository } from '@mfa/persistence';
import { runCli } from './cli';
import type { Env } from './command';

// Every command against both databases the gateway supports, through runCli as the bin calls it.

const PG_ADMIN_URL = process.env.MFA_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Backend {
  name: string;
  setUp(dataDir: string): Promise<string>;
  tearDown(): Promise<void>;
}

function sqliteBackend(): Backend {
  return { name: 'SQLite', setUp: async (dataDir) => `sqlite:${join(dataDir, 'mfa.sqlite')}`, tearDown: async () => undefined };
}

function postgresBackend(): Backend {
  const database = `mfa_admin_test_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'PostgreSQL',
    setUp: async () => {
      await admin(`CREATE DATABASE ${database}`);
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${database}`;
      return url.toString();
    },
    tearDown: () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(env: Env, ...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { env, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const apiKeyIn = (output: string): string => /^API key: (\S+)$/m.exec(output)?.[1] ?? '';
const keyIdIn = (output: string): string => /^Key id: (key_\S+)/m.exec(output)?.[1] ?? '';

describe.each([sqliteBackend(), postgresBackend()])('mfa-admin on $name', (backend) => {
  let dataDir: string;
  let env: Env;

  async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
    const database = await Database.open(env.DATABASE_URL ?? '');
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mfa-admin-'));
    env = { DATABASE_URL: await backend.setUp(dataDir), MFA_DATA_DIR: dataDir };
  });

  afterAll(async () => {
    await backend.tearDown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('tenant create prints an API key that authenticates the new tenant and stores only its hash', async () => {
    const result = await run(env, 'tenant', 'create', '--name', 'acme');

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Tenant: ten_\S+ \(acme\)$/m);
    const apiKey = apiKeyIn(result.stdout);
    expect(apiKey).toMatch(/^mfa_/);
    await withDatabase(async (database) => {
      const tenants = new TenantRepository(database.manager);
      const owner = await tenants.findByApiKeyHash(hashApiKey(apiKey));
      expect(owner?.tenant.name).toBe('acme');
      const [stored] = await tenants.listApiKeys(owner?.tenant.id);
      expect(stored.keyHash).toBe(hashApiKey(apiKey));
      expect(JSON.stringify(stored)).not.toContain(apiKey);
    });
  });

  it('tenant create refuses a duplicate name with exit 1 and one line on stderr', async () => {
    const result = await run(env, 'tenant', 'create', '--name', 'acme');

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^mfa-admin: a tenant named "acme" already exists \(ten_\S+\)\n$/);
  });

  it('tenant list shows each tenant with its id and ISO creation time', async () => {
    const result = await run(env, 'tenant', 'list');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ten_\S+\s+acme\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
  });

  it('api-key create, list and revoke: a revoked key no longer authenticates', async () => {
    const created = await run(env, 'api-key', 'create', '--tenant', 'acme', '--label', 'billing');
    expect(created.code).toBe(0);
    const apiKey = apiKeyIn(created.stdout);
    const keyId = keyIdIn(created.stdout);
    expect(keyId).not.toBe('');

    const listed = await run(env, 'api-key', 'list', '--tenant', 'acme');
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}\\s+acme\\s+${apiKey.slice(0, 8)}…\\s+billing\\s+\\S+Z\\s+-$`, 'm'));
    expect(listed.stdout).not.toContain(apiKey);

    const revoked = await run(env, 'api-key', 'revoke', '--id', keyId);
    expect(revoked.code).toBe(0);
    await withDatabase(async (database) => {
      expect(await new TenantRepository(database.manager).findByApiKeyHash(hashApiKey(apiKey))).toBeNull();
    });

    const again = await run(env, 'api-key', 'revoke', '--id', keyId);
    expect(again).toMatchObject({ code: 1, stderr: `mfa-admin: API key ${keyId} is already revoked\n` });
  });

  it('tenant revoke revokes every key of the tenant and no other', async () => {
    const created = await run(env, 'tenant', 'create', '--name', 'leaving');
    const second = await run(env, 'api-key', 'create', '--tenant', 'leaving');
    const revoked = await run(env, 'tenant', 'revoke', '--tenant', 'leaving');
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(revoked.stdout).toMatch(/2 API key\(s\) revoked/);
    await withDatabase(async (database) => {
      const tenants = new TenantRepository(database.manager);
      expect(await tenants.findByApiKeyHash(hashApiKey(apiKeyIn(created.stdout)))).toBeNull();
      expect(await tenants.findByApiKeyHash(hashApiKey(apiKeyIn(second.stdout)))).toBeNull();
      expect((await tenants.listApiKeys()).some((k) => k.revokedAt === null)).toBe(true);
    });
  });

  it('api-key commands refuse an unknown tenant or key id with exit 1', async () => {
    expect(await run(env, 'api-key', 'create', '--tenant', 'nobody')).toMatchObject({ code: 1, stderr: 'mfa-admin: no tenant with id or name "nobody"\n' });
    expect(await run(env, 'api-key', 'revoke', '--id', 'key_missing')).toMatchObject({ code: 1, stderr: 'mfa-admin: no API key with id "key_missing"\n' });
  });

  it('keys rotate re-encrypts factor secrets with the new first key, and a rerun has nothing left to do', async () => {
    const oldSpec = Keyring.generateSpec('old');
    const newSpec = Keyring.generateSpec('new');
    const factorId = newId('fac');
    await withDatabase(async (database) => {
      const tenant = await new TenantRepository(database.manager).findByName('acme');
      await database.manager.insert(FactorEntity, {
        id: factorId, tenantId: tenant?.id ?? '', userId: 'alice', type: 'TOTP', status: 'ACTIVE', display: 'Authenticator app',
        label: '', locale: '', secretEnc: Keyring.parse(oldSpec).encrypt('S', factorSecretAad(factorId)), destinationEnc: null,
        destinationIndex: null, totpLastStep: null, totpDrift: 0, enrollUrl: null, createdAt: Date.now(), lastUsedAt: null,
      });
    });

    const rotated = await run({ ...env, MFA_ENCRYPTION_KEYS: `${newSpec},${oldSpec}` }, 'keys', 'rotate');

    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('Done: 1 factors with secrets scanned, 1 re-encrypted with key "new".');
    await withDatabase(async (database) => {
      const factor = await database.manager.findOneByOrFail(FactorEntity, { id: factorId });
      expect(Keyring.parse(newSpec).decryptText(factor.secretEnc ?? '', factorSecretAad(factorId))).toBe('S');
    });
    const rerun = await run({ ...env, MFA_ENCRYPTION_KEYS: newSpec }, 'keys', 'rotate');
    expect(rerun.stdout).toContain('1 factors with secrets scanned, 0 re-encrypted');
  });

  it('user show lists masked factors and the lock; user unlock clears it and audits user_unlocked', async () => {
    const tenantId = await withDatabase(async (database) => {
      const tenant = await new TenantRepository(database.manager).findByName('acme');
      const lockedUntil = Date.now() + 15 * 60_000;
      await database.manager.insert(UserStateEntity, { tenantId: tenant?.id ?? '', userId: 'alice', consecutiveFailures: 5, lockedUntil, updatedAt: Date.now() });
      // A label is the caller's free text: one holding an address is shown masked, as over gRPC.
      await database.manager.insert(FactorEntity, {
        id: newId('fac'), tenantId: tenant?.id ?? '', userId: 'alice', type: 'PUSH', status: 'ACTIVE', display: 'alice@corp.example phone',
        label: '', locale: '', secretEnc: null, destinationEnc: null, destinationIndex: null, totpLastStep: null, totpDrift: 0, enrollUrl: null,
        createdAt: Date.now(), lastUsedAt: null,
      });
      return tenant?.id ?? '';
    });

    const before = await run(env, 'user', 'show', '--tenant', tenantId, '--user', 'alice');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^Lockout: locked until \S+Z \(5 consecutive failures\)$/m);
    expect(before.stdout).toMatch(/^fac_\S+\s+TOTP\s+ACTIVE\s+Authenticator app\s/m);
    expect(before.stdout).toMatch(/^fac_\S+\s+PUSH\s+ACTIVE\s+a\*\*\*@corp\.example phone\s/m);
    expect(before.stdout).not.toContain('alice@corp.example');
    expect(before.stdout).not.toMatch(/v1\.(old|new)\./);

    const unlocked = await run(env, 'user', 'unlock', '--tenant', 'acme', '--user', 'alice');

    expect(unlocked.code).toBe(0);
    await withDatabase(async (database) => {
      const state = await new UserStateRepository(database.manager).find(tenantId, 'alice');
      expect(state).toMatchObject({ consecutiveFailures: 0, lockedUntil: null });
      const events = await database.manager.findBy(AuditEventEntity, { tenantId, userId: 'alice', type: 'user_unlocked' });
      expect(events).toHaveLength(1);
    });
    const after = await run(env, 'user', 'show', '--tenant', 'acme', '--user', 'alice');
    expect(after.stdout).toMatch(/^Lockout: not locked \(0 consecutive failures\)$/m);
  });

  it('user unlock of a user without recorded failures changes nothing', async () => {
    const result = await run(env, 'user', 'unlock', '--tenant', 'acme', '--user', 'nobody');

    expect(result).toMatchObject({ code: 0, stdout: 'User nobody has no failed attempts recorded; nothing to unlock.\n' });
    await withDatabase(async (database) => {
      const tenant = await new TenantRepository(database.manager).findByName('acme');
      expect(await new UserStateRepository(database.manager).find(tenant?.id ?? '', 'nobody')).toBeNull();
    });
  });
});
