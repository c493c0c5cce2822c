import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';

export type DatabaseDriver = 'postgres' | 'sqlite';

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/**
 * Turns `DATABASE_URL` into TypeORM options: `sqlite:<path>` (the embedded default) or
 * `postgres://user@host:port/db[?schema=name]`.
 */
export function dataSourceOptionsFromUrl(url: string): DataSourceOptions {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) throw new DatabaseUrlError('DATABASE_URL sqlite: needs a file path, e.g. sqlite:.data/mfa.sqlite');
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
    return { type: 'better-sqlite3', database: file, enableWAL: file !== ':memory:', timeout: 10_000 };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('schema');
    return {
      type: 'postgres',
      url: parsed.toString(),
      schema,
      applicationName: 'mfa-gateway',
      connectTimeoutMS: 5_000,
      extra: { max: 20, idleTimeoutMillis: 30_000 },
    };
  }
  throw new DatabaseUrlError('DATABASE_URL must start with sqlite: or postgres://');
}

export function driverOf(options: DataSourceOptions): DatabaseDriver {
  return options.type === 'postgres' ? 'postgres' : 'sqlite';
}
