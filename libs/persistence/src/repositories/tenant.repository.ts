import { IsNull, type EntityManager } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { TenantEntity } from '../entities/tenant.entity';
import { Table } from '../sql/table';

export interface ApiKeyOwner {
  tenant: TenantEntity;
  apiKey: ApiKeyEntity;
}

export class TenantRepository {
  constructor(private readonly manager: EntityManager) {}

  /** The tenant of an active (not revoked) API key, looked up by the key's hash. */
  async findByApiKeyHash(keyHash: string): Promise<ApiKeyOwner | null> {
    // Every call authenticates: one statement reads the key and its tenant together.
    const tenants = Table.of(this.manager, TenantEntity);
    const { rows, records } = await Table.of(this.manager, ApiKeyEntity).query(
      'active-with-tenant',
      (sql) =>
        `SELECT ${sql.columns('k')}, ${tenants.columnList('t', 'tenant_')} FROM ${sql.table} k ` +
        `JOIN ${tenants.name} t ON t."id" = k."tenant_id" WHERE k."key_hash" = ${sql.parameter(0)} AND k."revoked_at" IS NULL`,
      [keyHash],
    );
    const [apiKey, record] = [rows[0], records[0]];
    const tenant = record ? tenants.hydrateJoined(record, 'tenant_') : null;
    return apiKey && tenant ? { tenant, apiKey } : null;
  }

  findById(id: string): Promise<TenantEntity | null> {
    return this.manager.findOne(TenantEntity, { where: { id } });
  }

  findByName(name: string): Promise<TenantEntity | null> {
    return this.manager.findOne(TenantEntity, { where: { name } });
  }

  list(): Promise<TenantEntity[]> {
    return this.manager.find(TenantEntity, { order: { createdAt: 'ASC' } });
  }

  async insert(tenant: TenantEntity): Promise<void> {
    await this.manager.insert(TenantEntity, tenant);
  }

  async savePolicy(tenantId: string, policyJson: string): Promise<void> {
    await this.manager.update(TenantEntity, { id: tenantId }, { policy: policyJson });
  }

  async insertApiKey(apiKey: ApiKeyEntity): Promise<void> {
    await this.manager.insert(ApiKeyEntity, apiKey);
  }

  findApiKeyByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.manager.findOne(ApiKeyEntity, { where: { keyHash } });
  }

  listApiKeys(tenantId?: string): Promise<ApiKeyEntity[]> {
    return this.manager.find(ApiKeyEntity, { where: tenantId ? { tenantId } : {}, order: { createdAt: 'ASC' } });
  }

  /** Revokes an active key; false when there is no such active key. */
  async revokeApiKey(id: string, now: number): Promise<boolean> {
    const result = await this.manager.update(ApiKeyEntity, { id, revokedAt: IsNull() }, { revokedAt: now });
    return (result.affected ?? 0) > 0;
  }
}
