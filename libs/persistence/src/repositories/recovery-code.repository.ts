import { IsNull, type EntityManager } from 'typeorm';
import { RecoveryCodeEntity } from '../entities/recovery-code.entity';

export class RecoveryCodeRepository {
  constructor(private readonly manager: EntityManager) {}

  /** Replaces the user's set: the old codes are deleted, so they can never be redeemed. */
  async replaceSet(tenantId: string, userId: string, codes: RecoveryCodeEntity[]): Promise<void> {
    await this.manager.delete(RecoveryCodeEntity, { tenantId, userId });
    await this.manager.insert(RecoveryCodeEntity, codes);
  }

  listUnused(tenantId: string, userId: string): Promise<RecoveryCodeEntity[]> {
    return this.manager.find(RecoveryCodeEntity, { where: { tenantId, userId, usedAt: IsNull() } });
  }

  countUnused(tenantId: string, userId: string): Promise<number> {
    return this.manager.count(RecoveryCodeEntity, { where: { tenantId, userId, usedAt: IsNull() } });
  }

  /** Marks a code used; false if it was already used (the caller holds the user lock). */
  async markUsed(id: string, now: number): Promise<boolean> {
    const result = await this.manager.update(RecoveryCodeEntity, { id, usedAt: IsNull() }, { usedAt: now });
    return (result.affected ?? 0) > 0;
  }
}
