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
    const rows = await this.upsertLocked('lock', (p) => `VALUES (${p(0)}, ${p(1)}, 0, NULL, ${p(2)})`, [tenantId, userId, now]);
    return rows[0];
  }

  /** `lock` for the user a challenge of the tenant belongs to; null when there is no such challenge. */
  async lockForChallenge(tenantId: string, challengeId: string, now: number): Promise<UserStateEntity | null> {
    const challenges = Table.of(this.manager, ChallengeEntity).name;
    const rows = await this.upsertLocked(
      'lock-for-challenge',
      (p) => `SELECT c."tenant_id", c."user_id", 0, NULL, ${p(0)} FROM ${challenges} c WHERE c."id" = ${p(1)} AND c."tenant_id" = ${p(2)}`,
      [now, challengeId, tenantId],
    );
    return rows[0] ?? null;
  }

  /** INSERT of a fresh state row (tenant, user, no failures, not locked, updated at) from `source`, or a touch of the existing one; returns it locked. */
  private async upsertLocked(key: string, source: (parameter: (index: number) => string) => string, params: unknown[]): Promise<UserStateEntity[]> {
    const { rows } = await this.table.query(
      key,
      (sql) =>
        `INSERT INTO ${sql.table} (${sql.column('tenantId')}, ${sql.column('userId')}, ${sql.column('consecutiveFailures')}, ${sql.column('lockedUntil')}, ${sql.column('updatedAt')}) ` +
        `${source(sql.parameter)} ` +
        `ON CONFLICT (${sql.column('tenantId')}, ${sql.column('userId')}) DO UPDATE SET ${sql.column('tenantId')} = excluded.${sql.column('tenantId')} RETURNING ${sql.columns()}`,
      params,
    );
    return rows;
  }
}
