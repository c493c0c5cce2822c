import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { KeyedMutex } from './keyed-mutex';

/** One hold of the connection; over when the work that took it ends, even if a straggler of that work still runs. */
interface Turn {
  live: boolean;
}

/**
 * SQLite's one connection. TypeORM gives every caller there the same query runner, so a statement
 * made outside a transaction would run inside whichever one is open: rolled back with it, and
 * reading its uncommitted rows. Work that needs the connection to itself (a transaction, the
 * migrations) takes a turn with `exclusive`; every other statement takes a turn of its own, for
 * that one statement. Statements made by the work holding a turn (a transaction's own, its BEGIN
 * and COMMIT included, however far down they are made) run in that turn: waiting for it to end
 * would wait forever. So a transaction must not await a statement started outside it.
 */
export class SqliteConnection {
  private readonly mutex = new KeyedMutex();
  private readonly turns = new AsyncLocalStorage<Turn>();

  constructor(dataSource: DataSource) {
    // The one runner every manager, `dataSource.query` and `Table` use on SQLite.
    this.guard(dataSource.createQueryRunner());
  }

  /** Runs `work` with the connection to itself, after the turns taken before. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    // The turn held is the caller's own: waiting for the next one would never end.
    if (this.inTurn()) return Promise.reject(new Error('SQLite has one connection: a transaction cannot be opened inside another'));
    return this.mutex.run('sqlite', async () => {
      const turn: Turn = { live: true };
      try {
        return await this.turns.run(turn, work);
      } finally {
        turn.live = false;
      }
    });
  }

  private inTurn(): boolean {
    return this.turns.getStore()?.live === true;
  }

  /** The runner's statements take a turn unless made in one. */
  private guard(runner: QueryRunner): void {
    const query = runner.query.bind(runner) as QueryRunner['query'];
    runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) =>
      this.inTurn() ? query(sql, parameters, structured as true) : this.exclusive(() => query(sql, parameters, structured as true))) as QueryRunner['query'];
  }
}
