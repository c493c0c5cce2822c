import type { EntityManager } from 'typeorm';
import { RecoveryCodeEntity } from '../entities/recovery-code.entity';
import { Table } from '../sql/table';

export class RecoveryCodeRepository {
  private readonly table: Table<RecoveryCodeEntity>;

  constructor(private readonly manager: EntityManager) {
    this.table = Table.of(manager, RecoveryCodeEntity);
  }

  /** Replaces the user's set: the old codes are deleted, so they can never be redeemed. */
  async replaceSet(tenantId: string, userId: string, codes: RecoveryCodeEntity[]): Promise<void> {
    await this.manager.delete(RecoveryCodeEntity, { tenantId, userId });
    await this.manager.insert(RecoveryCodeEntity, codes);
  }

  listUnused(tenantId: string, userId: string): Promise<RecoveryCodeEntity[]> {
    return this.table.find({ tenantId, userId, usedAt: null });
  }

  countUnused(tenantId: string, userId: string): Promise<number> {
    return this.table.count({ tenantId, userId, usedAt: null });
  }

  /** Marks a code used; false if it was already used (the caller holds the user lock). */
  async markUsed(id: string, now: number): Promise<boolean> {
    return (await this.table.update({ id, usedAt: null }, { usedAt: now })) > 0;
  }
}
