import type { EntityManager } from 'typeorm';
import { hashApiKey, newId, newSecretToken } from '@mfa/crypto';
import type { Database } from './database';
import { ApiKeyEntity } from './entities/api-key.entity';
import { TenantEntity } from './entities/tenant.entity';
import { TenantRepository } from './repositories/tenant.repository';

export interface IssuedApiKey {
  id: string;
  tenantId: string;
  /** Shown once; only its hash is stored. */
  apiKey: string;
}

async function insertTenant(manager: EntityManager, name: string): Promise<TenantEntity> {
  const tenant = Object.assign(new TenantEntity(), { id: newId('ten'), name, policy: null, createdAt: Date.now() });
  await new TenantRepository(manager).insert(tenant);
  return tenant;
}

async function insertApiKey(manager: EntityManager, tenantId: string, label: string, presetKey?: string): Promise<IssuedApiKey> {
  const apiKey = presetKey ?? `mfa_${newSecretToken(32)}`;
  const entity = Object.assign(new ApiKeyEntity(), {
    id: newId('key'),
    tenantId,
    keyHash: hashApiKey(apiKey),
    keyPrefix: apiKey.slice(0, 8),
    label,
    createdAt: Date.now(),
    revokedAt: null,
  });
  await new TenantRepository(manager).insertApiKey(entity);
  return { id: entity.id, tenantId, apiKey };
}

/** Tenants and their API keys: used at start-up (bootstrap key) and by the admin CLI. */

export class TenantAdmin {
  constructor(private readonly database: Database) {}

  createTenant(name: string): Promise<TenantEntity> {
    return insertTenant(this.database.manager, name);
  }

  issueApiKey(tenantId: string, label = ''): Promise<IssuedApiKey> {
    return insertApiKey(this.database.manager, tenantId, label);
  }

  /** Makes sure tenant `default` exists and accepts `apiKey` (MFA_BOOTSTRAP_API_KEY). */
  ensureBootstrapTenant(apiKey: string): Promise<TenantEntity> {
    return this.database.transaction(async (manager) => {
      const tenants = new TenantRepository(manager);
      const tenant = (await tenants.findByName('default')) ?? (await insertTenant(manager, 'default'));
      const existing = await tenants.findApiKeyByHash(hashApiKey(apiKey));
      if (!existing) {
        await insertApiKey(manager, tenant.id, 'bootstrap', apiKey);
      } else if (existing.tenantId !== tenant.id || existing.revokedAt !== null) {
        // The operator configured this key for `default`: that wins over an earlier revocation.
        await manager.update(ApiKeyEntity, { id: existing.id }, { tenantId: tenant.id, revokedAt: null });
      }
      return tenant;
    }, 'bootstrap');
  }
}
