import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

// Portable column helpers: the same definitions run on PostgreSQL and SQLite.
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '40', isPrimary: true });
const ref = (name: string): TableColumnOptions => ({ name, type: 'varchar', length: '40' });
const text = (name: string, length: number, defaultValue?: string): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  ...(defaultValue === undefined ? {} : { default: `'${defaultValue}'` }),
});
const blob = (name: string, nullable = true): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });
const instant = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const count = (name: string, defaultValue?: number): TableColumnOptions => ({
  name,
  type: 'integer',
  ...(defaultValue === undefined ? {} : { default: defaultValue }),
});
const userId: TableColumnOptions = { name: 'user_id', type: 'varchar', length: '255' };

export class InitialSchema1732752000000 implements MigrationInterface {
  name = 'InitialSchema1732752000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'tenants',
        columns: [id(), { ...text('name', 255), isUnique: true }, blob('policy'), instant('created_at')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          id(),
          ref('tenant_id'),
          { ...text('key_hash', 64), isUnique: true },
          text('key_prefix', 16),
          text('label', 255, ''),
          instant('created_at'),
          instant('revoked_at', true),
        ],
        foreignKeys: [{ columnNames: ['tenant_id'], referencedTableName: 'tenants', referencedColumnNames: ['id'] }],
        indices: [{ name: 'idx_api_keys_tenant', columnNames: ['tenant_id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'factors',
        columns: [
          id(),
          ref('tenant_id'),
          userId,
          text('type', 16),
          text('status', 16),
          text('display', 255),
          text('label', 255, ''),
          text('locale', 35, ''),
          blob('secret_enc'),
          blob('destination_enc'),
          { ...text('destination_index', 64), isNullable: true },
          instant('totp_last_step', true),
          count('totp_drift', 0),
          blob('enroll_url'),
          instant('created_at'),
          instant('last_used_at', true),
        ],
        foreignKeys: [{ columnNames: ['tenant_id'], referencedTableName: 'tenants', referencedColumnNames: ['id'] }],
        indices: [
          { name: 'idx_factors_user', columnNames: ['tenant_id', 'user_id'] },
          // One address per user and factor type; NULL (TOTP, PUSH) never collides.
          { name: 'uq_factors_destination', columnNames: ['tenant_id', 'user_id', 'type', 'destination_index'], isUnique: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'challenges',
        columns: [
          id(),
          ref('tenant_id'),
          userId,
          ref('factor_id'),
          text('type', 16),
          text('purpose', 16, 'challenge'),
          text('status', 16),
          text('delivery', 16),
          text('reason', 255, ''),
          count('attempts_remaining'),
          { ...text('idempotency_key', 255), isNullable: true },
          blob('context'),
          text('locale', 35, ''),
          instant('created_at'),
          instant('expires_at'),
          instant('resolved_at', true),
        ],
        indices: [
          { name: 'idx_challenges_idempotency', columnNames: ['tenant_id', 'user_id', 'idempotency_key'] },
          { name: 'idx_challenges_status_expiry', columnNames: ['status', 'expires_at'] },
          { name: 'idx_challenges_factor', columnNames: ['factor_id'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [
          id(),
          ref('tenant_id'),
          userId,
          text('salt', 32),
          text('code_hash', 64),
          instant('created_at'),
          instant('used_at', true),
        ],
        indices: [{ name: 'idx_recovery_codes_user', columnNames: ['tenant_id', 'user_id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'used_totp_steps',
        columns: [{ ...ref('factor_id'), isPrimary: true }, { ...instant('step'), isPrimary: true }, instant('used_at')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'user_states',
        columns: [
          { ...ref('tenant_id'), isPrimary: true },
          { ...userId, isPrimary: true },
          count('consecutive_failures', 0),
          instant('locked_until', true),
          instant('updated_at'),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          id(),
          ref('tenant_id'),
          { ...userId, default: "''" },
          text('type', 40),
          text('factor_id', 40, ''),
          text('challenge_id', 40, ''),
          instant('at'),
          { name: 'details', type: 'text', default: "'{}'" },
        ],
      }),
    );
    await queryRunner.createIndex('audit_events', new TableIndex({ name: 'idx_audit_user', columnNames: ['tenant_id', 'user_id', 'id'] }));
    await queryRunner.createIndex('audit_events', new TableIndex({ name: 'idx_audit_tenant', columnNames: ['tenant_id', 'id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['audit_events', 'user_states', 'used_totp_steps', 'recovery_codes', 'challenges', 'factors', 'api_keys', 'tenants']) {
      await queryRunner.dropTable(table);
    }
  }
}
