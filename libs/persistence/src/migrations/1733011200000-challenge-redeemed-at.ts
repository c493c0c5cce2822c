import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/** When a PUSH or Duo approval was reported to the relying service: an approval counts once. */
export class ChallengeRedeemedAt1733011200000 implements MigrationInterface {
  name = 'ChallengeRedeemedAt1733011200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('challenges', new TableColumn({ name: 'redeemed_at', type: 'bigint', isNullable: true }));
    // Approvals from before were reported already (as often as asked): none is reported again.
    await queryRunner.query(`UPDATE ${qualifiedTable(queryRunner, 'challenges')} SET redeemed_at = COALESCE(resolved_at, created_at) WHERE status = 'APPROVED'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('challenges', 'redeemed_at');
  }
}
