import { IsNull, type EntityManager } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { TenantEntity } from '../entities/tenant.entity';

export interface ApiKeyOwner {
  tenant: TenantEntity;
  apiKey: ApiKeyEntity;
}

export class TenantRepository {
  constructor(private readonly manager: EntityManager) {}

  /** The tenant of an active (not revoked) API key, looked up by the key's hash. */
  async findByApiKeyHash(keyHash: string): Promise<ApiKeyOwner | null> {
    const apiKey = await this.manager.findOne(ApiKeyEntity, { where: { keyHash, revokedAt: IsNull() } });
    if (!apiKey) return null;
    const tenant = await this.manager.findOne(TenantEntity, { where: { id: apiKey.tenantId } });
    return tenant ? { tenant, apiKey } : null;
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
