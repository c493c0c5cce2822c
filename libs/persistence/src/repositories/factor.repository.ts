import { In, type EntityManager } from 'typeorm';
import { FactorEntity } from '../entities/factor.entity';
import { UsedTotpStepEntity } from '../entities/used-totp-step.entity';

export class FactorRepository {
  constructor(private readonly manager: EntityManager) {}

  findForUser(tenantId: string, userId: string, id: string): Promise<FactorEntity | null> {
    return this.manager.findOne(FactorEntity, { where: { tenantId, userId, id } });
  }

  findInTenant(tenantId: string, id: string): Promise<FactorEntity | null> {
    return this.manager.findOne(FactorEntity, { where: { tenantId, id } });
  }

  findById(id: string): Promise<FactorEntity | null> {
    return this.manager.findOne(FactorEntity, { where: { id } });
  }

  findByDeviceId(deviceId: string): Promise<FactorEntity | null> {
    return this.manager.findOne(FactorEntity, { where: { deviceId } });
  }

  listForUser(tenantId: string, userId: string): Promise<FactorEntity[]> {
    return this.manager.find(FactorEntity, { where: { tenantId, userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  countForUser(tenantId: string, userId: string): Promise<number> {
    return this.manager.count(FactorEntity, { where: { tenantId, userId } });
  }

  /** A factor of the user for the same address, under any of the given blind indexes (one per key). */
  findByDestination(tenantId: string, userId: string, type: FactorEntity['type'], destinationIndexes: string[]): Promise<FactorEntity | null> {
    return this.manager.findOne(FactorEntity, { where: { tenantId, userId, type, destinationIndex: In(destinationIndexes) } });
  }

  async insert(factor: FactorEntity): Promise<void> {
    await this.manager.insert(FactorEntity, factor);
  }

  async save(factor: FactorEntity): Promise<void> {
    await this.manager.save(FactorEntity, factor);
  }

  async delete(id: string): Promise<void> {
    await this.manager.delete(UsedTotpStepEntity, { factorId: id });
    await this.manager.delete(FactorEntity, { id });
  }

  /**
   * Records a TOTP time step as used; false when it was used before (a replay). Callers hold
   * the user lock, and the primary key refuses a second row should anything slip past it.
   */
  async markTotpStepUsed(factorId: string, step: number, now: number): Promise<boolean> {
    const existing = await this.manager.findOne(UsedTotpStepEntity, { where: { factorId, step } });
    if (existing) return false;
    await this.manager.insert(UsedTotpStepEntity, { factorId, step, usedAt: now });
    return true;
  }

  /** Forgets steps older than the replay window; they can no longer be presented anyway. */
  async pruneTotpSteps(factorId: string, belowStep: number): Promise<void> {
    await this.manager
      .createQueryBuilder()
      .delete()
      .from(UsedTotpStepEntity)
      .where('factor_id = :factorId AND step < :belowStep', { factorId, belowStep })
      .execute();
  }

  /** Every factor holding an encrypted value, in pages, for key rotation. */
  pageWithSecrets(afterId: string, limit: number): Promise<FactorEntity[]> {
    return this.manager
      .createQueryBuilder(FactorEntity, 'f')
      .where('f.id > :afterId', { afterId })
      .andWhere('(f.secret_enc IS NOT NULL OR f.destination_enc IS NOT NULL OR f.push_token_enc IS NOT NULL)')
      .orderBy('f.id', 'ASC')
      .limit(limit)
      .getMany();
  }
}
