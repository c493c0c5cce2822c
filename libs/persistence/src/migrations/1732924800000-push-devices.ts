import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Push factors: the enrolled device (its public key and FCM token), tickets, number matching. */
export class PushDevices1732924800000 implements MigrationInterface {
  name = 'PushDevices1732924800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('factors', [
      new TableColumn({ name: 'device_id', type: 'varchar', length: '40', isNullable: true }),
      new TableColumn({ name: 'device_public_key', type: 'text', isNullable: true }),
      new TableColumn({ name: 'push_token_enc', type: 'text', isNullable: true }),
    ]);
    await queryRunner.createIndex('factors', new TableIndex({ name: 'uq_factors_device', columnNames: ['device_id'], isUnique: true }));
    await queryRunner.addColumn('challenges', new TableColumn({ name: 'binding_code', type: 'varchar', length: '8', isNullable: true }));
    await queryRunner.createTable(
      new Table({
        name: 'enrollment_tickets',
        columns: [
          { name: 'ticket_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'tenant_id', type: 'varchar', length: '40' },
          { name: 'factor_id', type: 'varchar', length: '40' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'idx_enrollment_tickets_factor', columnNames: ['factor_id'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('enrollment_tickets');
    await queryRunner.dropColumn('challenges', 'binding_code');
    await queryRunner.dropIndex('factors', 'uq_factors_device');
    for (const column of ['push_token_enc', 'device_public_key', 'device_id']) await queryRunner.dropColumn('factors', column);
  }
}
