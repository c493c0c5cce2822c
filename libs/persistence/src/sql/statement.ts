import { QueryFailedError, type QueryRunner } from 'typeorm';

export interface StatementResult {
  records: Record<string, unknown>[];
  affected: number;
}

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** One name per statement text, the same on every connection (pg prepares a name once per connection). */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) statementNames.set(sql, (name = `mfa_${statementNames.size + 1}`));
  return name;
}

/**
 * Runs one statement on `runner`'s connection. On PostgreSQL it goes to the pg client as a named
 * statement, prepared once per connection (parsing and planning cost the server more than running
 * these lookups); errors are wrapped as TypeORM wraps them.
 */
export async function runStatement(runner: QueryRunner, postgres: boolean, sql: string, params: unknown[]): Promise<StatementResult> {
  if (!postgres) {
    const result = (await runner.query(sql, params, true)) as { records?: Record<string, unknown>[]; affected?: number };
    return { records: result.records ?? [], affected: result.affected ?? 0 };
  }
  const client = (await runner.connect()) as PgClient;
  try {
    const result = await client.query({ name: statementName(sql), text: sql, values: params });
    return { records: result.rows, affected: result.rowCount ?? 0 };
  } catch (error) {
    throw new QueryFailedError(sql, params, error as Error);
  }
}
