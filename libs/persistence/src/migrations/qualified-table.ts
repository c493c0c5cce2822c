import type { QueryRunner } from 'typeorm';

/**
 * A table's name for raw SQL in a migration, with its schema (DATABASE_URL `?schema=`) as
 * TypeORM's own schema changes (addColumn …) name it: a bare name would reach `public`.
 */
export function qualifiedTable(queryRunner: QueryRunner, table: string): string {
  const { driver, options } = queryRunner.connection;
  const schema = (options as { schema?: string }).schema;
  return schema ? `${driver.escape(schema)}.${driver.escape(table)}` : driver.escape(table);
}
