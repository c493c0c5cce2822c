import { In, type EntityManager } from 'typeorm';
import type { AcceptedTotpSteps } from '@mfa/domain';
import { FactorEntity } from '../entities/factor.entity';
import { UsedTotpStepEntity } from '../entities/used-totp-step.entity';
import { Table } from '../sql/table';

export class FactorRepository {
  private readonly table: Table<FactorEntity>;

  constructor(private readonly manager: EntityManager) {
    this.table = Table.of(manager, FactorEntity);
  }

  findForUser(tenantId: string, userId: string, id: string): Promise<FactorEntity | null> {
    return this.table.findOne({ id, tenantId, userId });
  }

  findInTenant(tenantId: string, id: string): Promise<FactorEntity | null> {
    return this.table.findOne({ id, tenantId });
  }

  findById(id: string): Promise<FactorEntity | null> {
    return this.table.findOne({ id });
  }

  findByDeviceId(deviceId: string): Promise<FactorEntity | null> {
    return this.table.findOne({ deviceId });
  }

  listForUser(tenantId: string, userId: string): Promise<FactorEntity[]> {
    return this.table.find({ tenantId, userId }, { createdAt: 'ASC', id: 'ASC' });
  }

  countForUser(tenantId: string, userId: string): Promise<number> {
    return this.table.count({ tenantId, userId });
  }

  /** A factor of the user for the same address, under any of the given blind indexes (one per key). */
  findByDestination(tenantId: string, userId: string, type: FactorEntity['type'], destinationIndexes: string[]): Promise<FactorEntity | null> {
    return this.manager.findOne(FactorEntity, { where: { tenantId, userId, type, destinationIndex: In(destinationIndexes) } });
  }

  insert(factor: FactorEntity): Promise<void> {
    return this.table.insert(factor);
  }

  save(factor: FactorEntity): Promise<void> {
    return this.table.save(factor);
  }

  async delete(id: string): Promise<void> {
    await this.manager.delete(UsedTotpStepEntity, { factorId: id });
    await this.manager.delete(FactorEntity, { id });
  }

  /**
   * Saves a factor whose TOTP record (`totpLastStep`, `totpRecentSteps`) just took the step of an
   * accepted code, only while the stored record is still `previous`, the one the code was checked
   * against under the user lock: should anything slip past that lock, the database refuses the
   * second acceptance (the transaction then rolls back) instead of letting a step be used twice.
   */
  saveAcceptedTotpStep(factor: FactorEntity & { totpLastStep: number }, previous: AcceptedTotpSteps): Promise<void> {
    const recent = previous.recent === null ? null : previous.recent.join(',');
    const shape = previous.last === null ? 'first' : recent === null ? 'after-unlisted' : 'after-listed';
    return this.table.save(factor, {
      key: `totp-step-${shape}`,
      condition: (sql) => {
        const last = sql.column('totpLastStep');
        const steps = sql.column('totpRecentSteps');
        if (previous.last === null) return `${last} IS NULL`;
        return `${last} = ${sql.parameter(0)} AND ${recent === null ? `${steps} IS NULL` : `${steps} = ${sql.parameter(1)}`}`;
      },
      params: previous.last === null ? [] : recent === null ? [previous.last] : [previous.last, recent],
      purpose: 'TOTP time step already used',
    });
  }

  /**
   * Forgets time steps accepted before `usedBefore`. Gateways before the factor's own step guard
   * (`saveAcceptedTotpStep`) recorded each accepted step here; nothing writes them now, and the
   * table goes in a later migration once no such gateway can be running.
   */
  async pruneUsedTotpSteps(usedBefore: number): Promise<number> {
    const { affected } = await Table.of(this.manager, UsedTotpStepEntity).query(
      'prune-used-before',
      (sql) => `DELETE FROM ${sql.table} WHERE ${sql.column('usedAt')} < ${sql.parameter(0)}`,
      [usedBefore],
    );
    return affected;
  }

  /** Factors still holding a Duo portal URL in clear (`enroll_url`), in pages by id. */
  pageWithLegacyEnrollUrl(afterId: string, limit: number): Promise<FactorEntity[]> {
    return this.pageWhere('f.enroll_url IS NOT NULL', afterId, limit);
  }

  /**
   * Moves factor `id`'s plaintext portal URL `url` into `enroll_url_enc` (`sealed`, made from it)
   * and empties `enroll_url`, only while `enroll_url` still holds `url`: a newer URL from an
   * older gateway, or a gateway that has since sealed a new one or activated the factor (both
   * empty `enroll_url`), is not overwritten. Returns whether it moved.
   */
  async sealLegacyEnrollUrl(id: string, url: string, sealed: string): Promise<boolean> {
    const { affected } = await this.table.query(
      'seal-legacy-enroll-url',
      (sql) =>
        `UPDATE ${sql.table} SET ${sql.column('enrollUrlEnc')} = ${sql.parameter(0)}, ${sql.column('legacyEnrollUrl')} = NULL ` +
        `WHERE ${sql.column('id')} = ${sql.parameter(1)} AND ${sql.column('legacyEnrollUrl')} = ${sql.parameter(2)}`,
      [sealed, id, url],
    );
    return affected === 1;
  }

  /**
   * Seals every plaintext portal URL left in `enroll_url` (`seal` gets the factor id and the URL),
   * in pages, each row with `sealLegacyEnrollUrl`'s guard: a row written meanwhile waits for the
   * next run. Migrations have no keyring, so the gateway's start and key rotation do this.
   * `stopped` is asked between rows (a gateway shutting down). Returns how many it sealed.
   */
  async sealLegacyEnrollUrls(seal: (factorId: string, url: string) => string, options: { pageSize?: number; stopped?: () => boolean } = {}): Promise<number> {
    const { pageSize = 200, stopped = () => false } = options;
    let sealedCount = 0;
    let afterId = '';
    for (;;) {
      const page = await this.pageWithLegacyEnrollUrl(afterId, pageSize);
      for (const factor of page) {
        if (stopped()) return sealedCount;
        const url = factor.legacyEnrollUrl;
        if (url !== null && (await this.sealLegacyEnrollUrl(factor.id, url, seal(factor.id, url)))) sealedCount++;
      }
      if (page.length < pageSize) return sealedCount;
      afterId = page[page.length - 1].id;
    }
  }

  /** Every factor holding an encrypted value, in pages, for key rotation. */
  pageWithSecrets(afterId: string, limit: number): Promise<FactorEntity[]> {
    return this.pageWhere('(f.secret_enc IS NOT NULL OR f.destination_enc IS NOT NULL OR f.push_token_enc IS NOT NULL OR f.enroll_url_enc IS NOT NULL)', afterId, limit);
  }

  /** Factors matching `condition` (SQL on alias `f`), `limit` at a time, in id order after `afterId`. */
  private pageWhere(condition: string, afterId: string, limit: number): Promise<FactorEntity[]> {
    return this.manager.createQueryBuilder(FactorEntity, 'f').where('f.id > :afterId', { afterId }).andWhere(condition).orderBy('f.id', 'ASC').limit(limit).getMany();
  }
}
