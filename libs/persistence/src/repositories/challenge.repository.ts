import { LessThanOrEqual, MoreThan, type EntityManager } from 'typeorm';
import { CHALLENGE_STATUSES, isFinalStatus } from '@mfa/domain';
import { ChallengeEntity } from '../entities/challenge.entity';
import { FactorEntity } from '../entities/factor.entity';
import { Table } from '../sql/table';

const ENDED_STATUSES = CHALLENGE_STATUSES.filter(isFinalStatus);

export class ChallengeRepository {
  private readonly table: Table<ChallengeEntity>;

  constructor(private readonly manager: EntityManager) {
    this.table = Table.of(manager, ChallengeEntity);
  }

  findInTenant(tenantId: string, id: string): Promise<ChallengeEntity | null> {
    return this.table.findOne({ id, tenantId });
  }

  /** A challenge and its factor (null once deleted) in one statement: what answering a code needs under the user lock. */
  async findInTenantWithFactor(tenantId: string, id: string): Promise<{ challenge: ChallengeEntity; factor: FactorEntity | null } | null> {
    const factors = Table.of(this.manager, FactorEntity);
    const { rows, records } = await this.table.query(
      'with-factor',
      (sql) =>
        `SELECT ${sql.columns('c')}, ${factors.columnList('f', 'factor_')} FROM ${sql.table} c ` +
        `LEFT JOIN ${factors.name} f ON f."id" = c."factor_id" AND f."tenant_id" = c."tenant_id" WHERE c."id" = ${sql.parameter(0)} AND c."tenant_id" = ${sql.parameter(1)}`,
      [id, tenantId],
    );
    return rows[0] ? { challenge: rows[0], factor: factors.hydrateJoined(records[0], 'factor_') } : null;
  }

  findById(id: string): Promise<ChallengeEntity | null> {
    return this.table.findOne({ id });
  }

  /** A live challenge started earlier with the same idempotency key. */
  findLiveByIdempotencyKey(tenantId: string, userId: string, idempotencyKey: string, now: number): Promise<ChallengeEntity | null> {
    return this.manager.findOne(ChallengeEntity, {
      where: { tenantId, userId, idempotencyKey, expiresAt: MoreThan(now) },
      order: { createdAt: 'DESC' },
    });
  }

  findPendingForFactor(factorId: string): Promise<ChallengeEntity[]> {
    return this.table.find({ factorId, status: 'PENDING' }, { createdAt: 'ASC' });
  }

  /** The ownership check still open for a factor being enrolled. */
  findPendingEnrollment(factorId: string): Promise<ChallengeEntity | null> {
    return this.table.findOne({ factorId, purpose: 'enrollment', status: 'PENDING' }, { createdAt: 'DESC' });
  }

  /** Pending challenges whose lifetime is over, oldest first (uses the status/expiry index). */
  findOverdue(now: number, limit: number): Promise<ChallengeEntity[]> {
    return this.manager.find(ChallengeEntity, { where: { status: 'PENDING', expiresAt: LessThanOrEqual(now) }, order: { expiresAt: 'ASC' }, take: limit });
  }

  /**
   * Pending challenges still waiting for their delivery job to report, started at or before
   * `startedBy` and not yet expired: one page, the ones closest to expiry first, after `after`
   * (the last of the previous page) when given.
   */
  findAwaitingDelivery(startedBy: number, now: number, limit: number, after?: Pick<ChallengeEntity, 'expiresAt' | 'id'>): Promise<ChallengeEntity[]> {
    const query = this.manager
      .createQueryBuilder(ChallengeEntity, 'c')
      .where('c.status = :status AND c.delivery = :delivery', { status: 'PENDING', delivery: 'QUEUED' })
      .andWhere('c.created_at <= :startedBy AND c.expires_at > :now', { startedBy, now });
    if (after) query.andWhere('(c.expires_at > :afterExpiry OR (c.expires_at = :afterExpiry AND c.id > :afterId))', { afterExpiry: after.expiresAt, afterId: after.id });
    return query.orderBy('c.expires_at', 'ASC').addOrderBy('c.id', 'ASC').limit(limit).getMany();
  }

  /**
   * Challenges that ended (any status but PENDING) at or before `endedBy` and expire after `since`,
   * whose delivery is still QUEUED: one page of `limit`, the ones closest to expiry first, after
   * `after` when given (the delivery relay settles those nothing will report on).
   */
  findEndedAwaitingDelivery(endedBy: number, since: number, limit: number, after?: Pick<ChallengeEntity, 'expiresAt' | 'id'>): Promise<ChallengeEntity[]> {
    const query = this.manager
      .createQueryBuilder(ChallengeEntity, 'c')
      // Each final status by name: the (status, expiry) index then reads only the challenges of the window.
      .where('c.status IN (:...ended) AND c.delivery = :delivery', { ended: ENDED_STATUSES, delivery: 'QUEUED' })
      .andWhere('c.resolved_at <= :endedBy AND c.expires_at > :since', { endedBy, since });
    if (after) query.andWhere('(c.expires_at > :afterExpiry OR (c.expires_at = :afterExpiry AND c.id > :afterId))', { afterExpiry: after.expiresAt, afterId: after.id });
    return query.orderBy('c.expires_at', 'ASC').addOrderBy('c.id', 'ASC').limit(limit).getMany();
  }

  /**
   * Marks an approval as reported, once and within the challenge's lifetime: false when it is not
   * APPROVED, was reported (or voided) before, or has expired.
   */
  async redeemApproval(id: string, now: number): Promise<boolean> {
    const result = await this.manager
      .createQueryBuilder()
      .update(ChallengeEntity)
      .set({ redeemedAt: now })
      .where('id = :id AND status = :status AND redeemed_at IS NULL AND expires_at > :now', { id, status: 'APPROVED', now })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** "This wasn't me": approvals of the user not yet reported never will be. */
  voidUnreportedApprovals(tenantId: string, userId: string, now: number): Promise<number> {
    return this.table.update({ tenantId, userId, status: 'APPROVED', redeemedAt: null }, { redeemedAt: now });
  }

  /** Moves the delivery status `from` → `to` if it is still `from`; false when it was not. */
  async advanceDelivery(id: string, from: ChallengeEntity['delivery'], to: ChallengeEntity['delivery']): Promise<boolean> {
    return (await this.table.update({ id, delivery: from }, { delivery: to })) > 0;
  }

  insert(challenge: ChallengeEntity): Promise<void> {
    return this.table.insert(challenge);
  }

  save(challenge: ChallengeEntity): Promise<void> {
    return this.table.save(challenge);
  }
}
