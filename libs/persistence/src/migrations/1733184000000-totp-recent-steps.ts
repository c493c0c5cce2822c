import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * TOTP replay protection refuses the steps a factor accepted, not every step up to the highest
 * (API.md). Factors from before have no list: the gateway then counts every step up to
 * `totp_last_step` as used, as before, until their next accepted code writes one. So does a
 * gateway of the previous release during a rolling deploy, which moves `totp_last_step` alone.
 */
export class TotpRecentSteps1733184000000 implements MigrationInterface {
  name = 'TotpRecentSteps1733184000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('factors', new TableColumn({ name: 'totp_recent_steps', type: 'text', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('factors', 'totp_recent_steps');
  }
}
