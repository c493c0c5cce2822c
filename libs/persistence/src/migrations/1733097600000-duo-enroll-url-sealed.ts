import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { qualifiedTable } from './qualified-table';

/**
 * Duo's enrollment portal URL is a bearer link (whoever opens it enrolls a device for the Duo
 * user): from now on it is stored sealed, in `enroll_url_enc`. The URLs stored so far are in
 * clear, and a migration has no keyring to seal them (migrations run from `Database.open`,
 * which is given a URL only), so they are dropped. Nothing depends on an old one: only PENDING
 * Duo factors had one, and ConfirmEnrollment asks Duo again, which hands out a fresh URL (sealed).
 *
 * `enroll_url` itself stays, empty, because gateways from before this migration name it in their
 * statements while a rolling deploy replaces them; a later migration drops it (and whatever such
 * a gateway wrote into it meanwhile) once none can be running.
 */
export class DuoEnrollUrlSealed1733097600000 implements MigrationInterface {
  name = 'DuoEnrollUrlSealed1733097600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('factors', new TableColumn({ name: 'enroll_url_enc', type: 'text', isNullable: true }));
    await queryRunner.query(`UPDATE ${qualifiedTable(queryRunner, 'factors')} SET enroll_url = NULL WHERE enroll_url IS NOT NULL`);
  }

  /** The dropped plaintext URLs do not come back; ConfirmEnrollment fetches new ones. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('factors', 'enroll_url_enc');
  }
}
