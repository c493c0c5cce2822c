import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Out-of-band challenges remember how many digits their code has, whatever the policy says later. */
export class ChallengeCodeLength1732838400000 implements MigrationInterface {
  name = 'ChallengeCodeLength1732838400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('challenges', new TableColumn({ name: 'code_length', type: 'integer', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('challenges', 'code_length');
  }
}
