import type { QueryRunner } from 'typeorm';
import { runStatement } from './statement';

/**
 * A write held back until the transaction's next statement or its commit. `sql` is an INSERT,
 * UPDATE or DELETE with no RETURNING, its values all parameters (`$n`), no literals.
 */
export interface DeferredWrite {
  sql: string;
  params: unknown[];
  /** The row written (table and primary key): two writes of one row never go in one statement. */
  row: string;
  /** Rows the write must change; anything else aborts the transaction (a guard that did not hold). */
  expectAffected?: number;
  /** What the write was for, in the error when `expectAffected` does not hold. */
  purpose?: string;
}

/** A guarded write found its row changed or gone; the transaction is rolled back. */
export class StaleWriteError extends Error {
  override name = 'StaleWriteError';
}

/** A write's guard: it changed the rows it had to, or the transaction aborts. */
export function assertAffected(write: Pick<DeferredWrite, 'expectAffected' | 'purpose'>, affected: number): void {
  if (write.expectAffected !== undefined && affected !== write.expectAffected) {
    throw new StaleWriteError(`${write.purpose ?? 'a guarded write'}: expected ${write.expectAffected} row(s), changed ${affected}`);
  }
}

interface Queue {
  writes: DeferredWrite[];
}

const queues = new WeakMap<QueryRunner, Queue>();

/**
 * Write-behind for a transaction. Every login changes a few rows under the user lock (the
 * challenge, the lockout counter, an audit event, the factor), and each statement is a round trip
 * that costs the gateway and the server more than the write itself. Held back and sent together
 * (one PostgreSQL statement, each write a data-modifying CTE) just before whatever the transaction
 * runs next: a read therefore always sees the transaction's own writes, and an error surfaces
 * before the commit, so the transaction still rolls back as a whole.
 */
export const DeferredWrites = {
  /** Holds back the writes `enqueue`d on `runner` (a PostgreSQL transaction's own) until its next statement. */
  enable(runner: QueryRunner): void {
    const query = runner.query.bind(runner) as QueryRunner['query'];
    queues.set(runner, { writes: [] });
    // Statements TypeORM itself runs on this connection (its find/save, COMMIT) go out after the held-back writes.
    runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
      await DeferredWrites.flush(runner);
      return query(sql, parameters, structured as true);
    }) as QueryRunner['query'];
  },

  enabled(runner: QueryRunner | undefined): runner is QueryRunner {
    return runner !== undefined && queues.has(runner);
  },

  async enqueue(runner: QueryRunner, write: DeferredWrite): Promise<void> {
    const queue = queues.get(runner);
    if (!queue) throw new Error('deferred writes are not enabled on this connection');
    if (queue.writes.some((pending) => pending.row === write.row)) await DeferredWrites.flush(runner);
    queue.writes.push(write);
  },

  /** Sends the held-back writes now; a no-op when there are none or the runner does not hold any back. */
  async flush(runner: QueryRunner): Promise<void> {
    const queue = queues.get(runner);
    if (!queue || queue.writes.length === 0) return;
    const writes = queue.writes.splice(0);
    const affected = await runCombined(runner, writes);
    writes.forEach((write, i) => assertAffected(write, affected[i]));
  },

  /** Forgets the held-back writes (the transaction is rolling back). */
  discard(runner: QueryRunner): void {
    const queue = queues.get(runner);
    if (queue) queue.writes.length = 0;
  },
};

/** One statement: each write a data-modifying CTE, renumbered into one parameter list, counted by its RETURNING. */
async function runCombined(runner: QueryRunner, writes: DeferredWrite[]): Promise<number[]> {
  if (writes.length === 1) return [(await runStatement(runner, true, writes[0].sql, writes[0].params)).affected];
  const params: unknown[] = [];
  const parts = writes.map((write, i) => {
    const offset = params.length;
    params.push(...write.params);
    return `w${i} AS (${shiftPlaceholders(write.sql, offset)} RETURNING 1)`;
  });
  const counts = writes.map((_, i) => `(SELECT count(*) FROM w${i}) AS w${i}`).join(', ');
  const { records } = await runStatement(runner, true, `WITH ${parts.join(', ')} SELECT ${counts}`, params);
  return writes.map((_, i) => Number(records[0]?.[`w${i}`] ?? 0));
}

/** `$n` → `$(n + offset)`, leaving quoted identifiers (a schema's name, say) as they are. */
function shiftPlaceholders(sql: string, offset: number): string {
  return sql
    .split('"')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)))
    .join('"');
}
