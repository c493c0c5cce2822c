import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';
import type { DataSourceOptions, QueryRunner } from 'typeorm';

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
      // Covers the wait for a pooled connection as well as opening one: well inside a client's
      // deadline (5 s by default), so an unreachable server answers UNAVAILABLE, not a timeout.
      connectTimeoutMS: 2_000,
      extra: {
        max: 20,
        idleTimeoutMillis: 30_000,
        Client: DiscardOnTimeoutClient,
        // The server cancels a statement that runs too long; the connection stays usable.
        statement_timeout: STATEMENT_TIMEOUT_MS,
        // A server that answers nothing (hung, or gone without a reset): the client stops
        // waiting, and `DiscardOnTimeoutClient` drops the connection.
        query_timeout: QUERY_TIMEOUT_MS,
        // Row locks of a process that stopped halfway through a transaction are given back.
        idle_in_transaction_session_timeout: 10_000,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      },
    };
  }
  throw new DatabaseUrlError('DATABASE_URL must start with sqlite: or postgres://');
}

/** Server-side limit of one statement on PostgreSQL (SQLSTATE 57014 past it). */
export const STATEMENT_TIMEOUT_MS = 3_000;
/** Client-side limit of one round trip; longer than the server's, which wins while the server answers. */
export const QUERY_TIMEOUT_MS = 3_500;

interface PgClientInternals {
  _queryable: boolean;
  connection: { stream: { destroy(): void } };
  connectionParameters: { query_timeout?: number };
}

/**
 * pg's `query_timeout` only stops waiting: the query stays in flight on the connection, so the
 * next user of that pooled client would queue behind it (and a dead socket would stay pooled).
 * A client whose query timed out is cut instead: its later statements (the ROLLBACK) fail at once,
 * and the pool drops it rather than handing it out again.
 */
export class DiscardOnTimeoutClient extends Client {}

const query = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
DiscardOnTimeoutClient.prototype.query = function (this: Client, ...args: unknown[]): unknown {
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (error: unknown, result: unknown) => {
      if (isQueryReadTimeout(error)) discard(this);
      (callback as (error: unknown, result: unknown) => void)(error, result);
    };
    return query.apply(this, args);
  }
  const result = query.apply(this, args);
  // Registered before the caller's own handler, so the client is cut before it sends a ROLLBACK.
  if (result instanceof Promise) result.catch((error: unknown) => isQueryReadTimeout(error) && discard(this));
  return result;
} as Client['query'];

function isQueryReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}

function discard(client: Client): void {
  const internals = client as unknown as PgClientInternals;
  // What pg-pool checks on release (it ends such a client); queries made meanwhile fail at once.
  internals._queryable = false;
  internals.connection.stream.destroy();
}

/**
 * Runs `work` with neither statement limit on the PostgreSQL connection of `runner`: migrations
 * may wait on another replica's advisory lock, or rewrite a table, for longer than a request may.
 * The limits are put back before the connection returns to the pool; if that fails, the
 * connection is cut rather than pooled without them.
 */
export async function withoutStatementTimeouts<T>(runner: QueryRunner, work: () => Promise<T>): Promise<T> {
  const client = (await runner.connect()) as Client;
  const parameters = (client as unknown as PgClientInternals).connectionParameters;
  await runner.query('SET statement_timeout = 0');
  parameters.query_timeout = 0;
  try {
    return await work();
  } finally {
    parameters.query_timeout = QUERY_TIMEOUT_MS;
    await runner.query(`SET statement_timeout = ${STATEMENT_TIMEOUT_MS}`).catch(() => discard(client));
  }
}

export function driverOf(options: DataSourceOptions): DatabaseDriver {
  return options.type === 'postgres' ? 'postgres' : 'sqlite';
}
