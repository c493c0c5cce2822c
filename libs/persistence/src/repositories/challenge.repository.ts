import { LessThanOrEqual, MoreThan, type EntityManager } from 'typeorm';
import { ChallengeEntity } from '../entities/challenge.entity';

export class ChallengeRepository {
  constructor(private readonly manager: EntityManager) {}

  findInTenant(tenantId: string, id: string): Promise<ChallengeEntity | null> {
    return this.manager.findOne(ChallengeEntity, { where: { tenantId, id } });
  }

  findById(id: string): Promise<ChallengeEntity | null> {
    return this.manager.findOne(ChallengeEntity, { where: { id } });
  }

  /** A live challenge started earlier with the same idempotency key. */
  findLiveByIdempotencyKey(tenantId: string, userId: string, idempotencyKey: string, now: number): Promise<ChallengeEntity | null> {
    return this.manager.findOne(ChallengeEntity, {
      where: { tenantId, userId, idempotencyKey, expiresAt: MoreThan(now) },
      order: { createdAt: 'DESC' },
    });
  }

  findPendingForFactor(factorId: string): Promise<ChallengeEntity[]> {
    return this.manager.find(ChallengeEntity, { where: { factorId, status: 'PENDING' }, order: { createdAt: 'ASC' } });
  }

  /** The ownership check still open for a factor being enrolled. */
  findPendingEnrollment(factorId: string): Promise<ChallengeEntity | null> {
    return this.manager.findOne(ChallengeEntity, { where: { factorId, purpose: 'enrollment', status: 'PENDING' }, order: { createdAt: 'DESC' } });
  }

  /** Pending challenges whose lifetime is over, oldest first (uses the status/expiry index). */
  findOverdue(now: number, limit: number): Promise<ChallengeEntity[]> {
    return this.manager.find(ChallengeEntity, { where: { status: 'PENDING', expiresAt: LessThanOrEqual(now) }, order: { expiresAt: 'ASC' }, take: limit });
  }

  async insert(challenge: ChallengeEntity): Promise<void> {
    await this.manager.insert(ChallengeEntity, challenge);
  }

  async save(challenge: ChallengeEntity): Promise<void> {
    await this.manager.save(ChallengeEntity, challenge);
  }
}
