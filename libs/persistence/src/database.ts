import { DataSource, MigrationExecutor, type EntityManager } from 'typeorm';
import { dataSourceOptionsFromUrl, driverOf, withoutStatementTimeouts, type DatabaseDriver } from './database-url';
import { ENTITIES } from './entities';
import { DeferredWrites } from './sql/deferred-writes';
import type { UserStateEntity } from './entities/user-state.entity';
import { KeyedMutex } from './keyed-mutex';
import { MIGRATIONS } from './migrations';
import { UserStateRepository } from './repositories/user-state.repository';
import { SqliteConnection } from './sqlite-connection';

const MIGRATION_LOCK_ID = 724_611_001;
/** How long a call waits for the one before it on the same user; past it the call fails (UNAVAILABLE) instead of waiting out its deadline. */
const USER_LOCK_WAIT_MS = 3_000;

/**
 * The connection plus the one rule every writer follows: state that belongs to a user
 * (challenges, lockout counter, TOTP steps, recovery codes) changes only inside
 * `withUserLock`, which serialises writers of that user across processes and replicas.
 */
export class Database {
  private readonly mutex = new KeyedMutex(USER_LOCK_WAIT_MS);
  /** SQLite only: its one connection, taken in turns by transactions and by every statement outside them. */
  private readonly sqlite?: SqliteConnection;

  private constructor(
    readonly dataSource: DataSource,
    readonly driver: DatabaseDriver,
  ) {
    if (driver === 'sqlite') this.sqlite = new SqliteConnection(dataSource);
  }

  /** Connects and brings the schema up to date (migrations run under an advisory lock on PostgreSQL). */
  static async open(url: string): Promise<Database> {
    const options = dataSourceOptionsFromUrl(url);
    const dataSource = new DataSource({ ...options, entities: ENTITIES, migrations: MIGRATIONS, synchronize: false, logging: false });
    await dataSource.initialize();
    const database = new Database(dataSource, driverOf(options));
    try {
      await database.migrate();
    } catch (error) {
      await dataSource.destroy();
      throw error;
    }
    return database;
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async migrate(): Promise<void> {
    if (this.sqlite) {
      await this.sqlite.exclusive(() => this.dataSource.runMigrations({ transaction: 'all' }));
      return;
    }
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      // On the locked connection, free of the per-statement limits requests run under.
      await withoutStatementTimeouts(runner, async () => {
        try {
          await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
          const executor = new MigrationExecutor(this.dataSource, runner);
          executor.transaction = 'all';
          await executor.executePendingMigrations();
        } finally {
          await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
        }
      });
    } finally {
      await runner.release();
    }
  }

  /**
   * Runs `work` in a transaction; on SQLite every transaction is serialised, and a statement made
   * outside one waits for it to end (`SqliteConnection`), so the rollback cannot take that
   * statement with it nor can it read the transaction's uncommitted rows. On PostgreSQL, writes
   * made through the repositories are held back and sent together before the next read and
   * before COMMIT (`DeferredWrites`), so an error in any of them still rolls the whole transaction
   * back. Not on SQLite: an embedded write costs no round trip, and TypeORM gives every caller
   * there the one connection, so a read from outside the transaction would send its writes.
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>, key = 'global'): Promise<T> {
    if (this.sqlite) return this.sqlite.exclusive(() => this.dataSource.transaction(work));
    return this.mutex.run(key, () =>
      this.dataSource.transaction(async (manager) => {
        const runner = manager.queryRunner!;
        DeferredWrites.enable(runner);
        try {
          const result = await work(manager);
          await DeferredWrites.flush(runner);
          return result;
        } catch (error) {
          DeferredWrites.discard(runner);
          throw error;
        }
      }),
    );
  }

  /**
   * Runs `work` in a transaction that holds the user's state row locked (FOR UPDATE on
   * PostgreSQL), so two concurrent guesses cannot both read the same failure count.
   */
  withUserLock<T>(tenantId: string, userId: string, work: (manager: EntityManager, state: UserStateEntity) => Promise<T>): Promise<T> {
    return this.transaction(async (manager) => {
      const state = await new UserStateRepository(manager).lock(tenantId, userId, Date.now());
      return work(manager, state);
    }, `${tenantId}\u0000${userId}`);
  }

  /**
   * `withUserLock` for the user a challenge belongs to, found and locked in one statement; `state`
   * is null (and nothing is locked) when the tenant has no such challenge. In this process calls
   * queue per challenge, not per user (the user is not known before the statement): requests for
   * several challenges of one user may each hold a pooled connection while the row lock
   * serialises them.
   */
  withChallengeUserLock<T>(tenantId: string, challengeId: string, work: (manager: EntityManager, state: UserStateEntity | null) => Promise<T>): Promise<T> {
    return this.transaction(async (manager) => {
      const state = await new UserStateRepository(manager).lockForChallenge(tenantId, challengeId, Date.now());
      return work(manager, state);
    }, `${tenantId}\u0000challenge\u0000${challengeId}`);
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
