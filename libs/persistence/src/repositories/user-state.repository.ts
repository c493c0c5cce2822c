import type { EntityManager } from 'typeorm';
import { ChallengeEntity } from '../entities/challenge.entity';
import { UserStateEntity } from '../entities/user-state.entity';
import { Table } from '../sql/table';

export class UserStateRepository {
  private readonly table: Table<UserStateEntity>;

  constructor(private readonly manager: EntityManager) {
    this.table = Table.of(manager, UserStateEntity);
  }

  find(tenantId: string, userId: string): Promise<UserStateEntity | null> {
    return this.table.findOne({ tenantId, userId });
  }

  save(state: UserStateEntity): Promise<void> {
    return this.table.save(state);
  }

  /**
   * The user's state row, created when missing, locked for the rest of the transaction: one
   * statement (an upsert locks the row it touches on PostgreSQL; SQLite transactions are serialised).
   */
  async lock(tenantId: string, userId: string, now: number): Promise<UserStateEntity> {
    const { rows } = await this.table.query(
      'lock',
      (sql) =>
        `INSERT INTO ${sql.table} (${sql.column('tenantId')}, ${sql.column('userId')}, ${sql.column('consecutiveFailures')}, ${sql.column('lockedUntil')}, ${sql.column('updatedAt')}) ` +
        `VALUES (${sql.parameter(0)}, ${sql.parameter(1)}, 0, NULL, ${sql.parameter(2)}) ` +
        `ON CONFLICT (${sql.column('tenantId')}, ${sql.column('userId')}) DO UPDATE SET ${sql.column('tenantId')} = excluded.${sql.column('tenantId')} RETURNING ${sql.columns()}`,
      [tenantId, userId, now],
    );
    return rows[0];
  }

  /** `lock` for the user a challenge of the tenant belongs to; null when there is no such challenge. */
  async lockForChallenge(tenantId: string, challengeId: string, now: number): Promise<UserStateEntity | null> {
    const challenges = Table.of(this.manager, ChallengeEntity);
    const { rows } = await this.table.query(
      'lock-for-challenge',
      (sql) =>
        `INSERT INTO ${sql.table} (${sql.column('tenantId')}, ${sql.column('userId')}, ${sql.column('consecutiveFailures')}, ${sql.column('lockedUntil')}, ${sql.column('updatedAt')}) ` +
        `SELECT c."tenant_id", c."user_id", 0, NULL, ${sql.parameter(0)} FROM ${challenges.name} c WHERE c."id" = ${sql.parameter(1)} AND c."tenant_id" = ${sql.parameter(2)} ` +
        `ON CONFLICT (${sql.column('tenantId')}, ${sql.column('userId')}) DO UPDATE SET ${sql.column('tenantId')} = excluded.${sql.column('tenantId')} RETURNING ${sql.columns()}`,
      [now, challengeId, tenantId],
    );
    return rows[0] ?? null;
  }
}
