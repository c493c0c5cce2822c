import { LessThanOrEqual, MoreThan, type EntityManager } from 'typeorm';
import { ChallengeEntity } from '../entities/challenge.entity';
import { Table } from '../sql/table';

export class ChallengeRepository {
  private readonly table: Table<ChallengeEntity>;

  constructor(private readonly manager: EntityManager) {
    this.table = Table.of(manager, ChallengeEntity);
  }

  findInTenant(tenantId: string, id: string): Promise<ChallengeEntity | null> {
    return this.table.findOne({ id, tenantId });
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

  insert(challenge: ChallengeEntity): Promise<void> {
    return this.table.insert(challenge);
  }

  save(challenge: ChallengeEntity): Promise<void> {
    return this.table.save(challenge);
  }
}
