import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Duo's enrollment portal URL is a bearer link (whoever opens it enrolls a device for the Duo
 * user): from now on it is stored sealed, in `enroll_url_enc`. The URLs stored so far stay in
 * `enroll_url`, untouched: a migration has no keyring to seal them (migrations run from
 * `Database.open`, which is given a URL only), and dropping them would leave pending Duo factors
 * without their portal. Gateways serve a plaintext one until it is sealed, which every gateway
 * start and `mfa-admin keys rotate` do (`FactorRepository.sealLegacyEnrollUrls`), also for what
 * gateways of the previous release write there during a rolling deploy. A later migration drops
 * `enroll_url` once none can be running.
 */
export class DuoEnrollUrlSealed1733097600000 implements MigrationInterface {
  name = 'DuoEnrollUrlSealed1733097600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('factors', new TableColumn({ name: 'enroll_url_enc', type: 'text', isNullable: true }));
    // The sealing runs look for plaintext URLs at every start: through this partial index, not
    // by walking the whole table (which would also outlast the 3 s statement limit on a big one).
    await queryRunner.createIndex('factors', new TableIndex({ name: 'idx_factors_legacy_enroll_url', columnNames: ['id'], where: 'enroll_url IS NOT NULL' }));
  }

  /** URLs sealed meanwhile do not come back in clear (no keyring here); ConfirmEnrollment fetches new ones. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('factors', 'idx_factors_legacy_enroll_url');
    await queryRunner.dropColumn('factors', 'enroll_url_enc');
  }
}
