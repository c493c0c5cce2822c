import type { DataSource, EntityManager, EntityMetadata, EntityTarget, ObjectLiteral, QueryRunner } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { assertAffected, DeferredWrites } from './deferred-writes';
import { runStatement, type StatementResult } from './statement';

/**
 * Fixed statements for an entity's table, for the paths every login takes. TypeORM's
 * `find`/`save` build each query anew from options (about half a millisecond of CPU apiece) and
 * `save` reads a row before it writes it; these statements are built once per shape and cached,
 * and rows are hydrated with the entity's own column metadata, so types and transformers are
 * exactly what TypeORM itself would produce. Same SQL on PostgreSQL and SQLite: quoted names,
 * the driver's own placeholders. On PostgreSQL each statement is prepared once per connection
 * (parsing and planning cost the server more than running these lookups), and columns are named,
 * never `*`, so a column added by a later migration cannot invalidate a prepared statement.
 * Inside `Database.transaction` on PostgreSQL, `insert` and `save` are held back and sent with
 * the transaction's next statement (`DeferredWrites`).
 */

/** Equality conditions, ANDed; `null` means IS NULL. */
export type Where<T> = { [K in keyof T]?: T[K] & (string | number | boolean | null) };

export type Order<T> = { [K in keyof T]?: 'ASC' | 'DESC' };

/** An extra condition for `save`: the row is written only while it holds, else the transaction aborts. */
export interface SaveGuard<T> {
  /** Names the condition's statement shape, with the changed columns. */
  key: string;
  condition: (sql: { column: (property: keyof T & string) => string; parameter: (index: number) => string }) => string;
  params: unknown[];
  /** What the guard protects, for the error when it does not hold. */
  purpose: string;
}

/** Per DataSource and entity: the metadata lookups and the statements built so far. */
class Shape {
  readonly table: string;
  readonly columns: ColumnMetadata[];
  readonly primary: ColumnMetadata[];
  readonly isPrimary: ReadonlySet<ColumnMetadata>;
  readonly byProperty = new Map<string, ColumnMetadata>();
  readonly statements = new Map<string, string>();
  readonly postgres: boolean;

  constructor(
    readonly dataSource: DataSource,
    readonly metadata: EntityMetadata,
  ) {
    // TypeORM qualifies names with the schema (DATABASE_URL ?schema=) rather than setting search_path: so do these.
    this.table = metadata.schema ? `${quote(metadata.schema)}.${quote(metadata.tableName)}` : quote(metadata.tableName);
    this.columns = metadata.columns;
    this.primary = metadata.primaryColumns;
    this.isPrimary = new Set(this.primary);
    for (const column of this.columns) this.byProperty.set(column.propertyName, column);
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  /** The entity's columns, optionally qualified by a table alias and renamed with a prefix (for joins). */
  columnList(alias?: string, prefix?: string): string {
    return this.columns
      .map((c) => {
        const name = alias ? `${alias}.${quote(c.databaseName)}` : quote(c.databaseName);
        return prefix ? `${name} AS ${quote(prefix + c.databaseName)}` : name;
      })
      .join(', ');
  }

  column(property: string): ColumnMetadata {
    const column = this.byProperty.get(property);
    if (!column) throw new Error(`${this.metadata.name} has no column ${property}`);
    return column;
  }

  statement(key: string, build: () => string): string {
    let sql = this.statements.get(key);
    if (sql === undefined) this.statements.set(key, (sql = build()));
    return sql;
  }
}

const shapes = new WeakMap<DataSource, Map<unknown, Shape>>();
const quote = (name: string): string => `"${name}"`;

/**
 * The column values each entity had when it was read or written here, so `save` can write only
 * what the caller changed (as TypeORM's save does): a column changed meanwhile by someone else
 * (a delivery report's conditional UPDATE, say) is not overwritten with the value read earlier.
 */
const persisted = new WeakMap<object, Record<string, unknown>>();

function shapeOf(manager: EntityManager, target: EntityTarget<ObjectLiteral>): Shape {
  const dataSource = manager.connection;
  let perSource = shapes.get(dataSource);
  if (!perSource) shapes.set(dataSource, (perSource = new Map()));
  let shape = perSource.get(target);
  if (!shape) perSource.set(target, (shape = new Shape(dataSource, dataSource.getMetadata(target))));
  return shape;
}

export class Table<T extends ObjectLiteral> {
  private constructor(
    private readonly manager: EntityManager,
    private readonly shape: Shape,
  ) {}

  static of<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>): Table<T> {
    return new Table<T>(manager, shapeOf(manager, target));
  }

  async findOne(where: Where<T>, order?: Order<T>): Promise<T | null> {
    const rows = await this.find(where, order, 1);
    return rows[0] ?? null;
  }

  async find(where: Where<T>, order?: Order<T>, limit?: number): Promise<T[]> {
    const { clause, params, key } = this.where(where);
    const orderKeys = order ? (Object.keys(order) as (keyof T & string)[]) : [];
    const sql = this.shape.statement(`select|${key}|${orderKeys.map((k) => `${k} ${order![k]}`).join(',')}|${limit ?? ''}`, () => {
      const orderBy = orderKeys.length > 0 ? ` ORDER BY ${orderKeys.map((k) => `${quote(this.shape.column(k).databaseName)} ${order![k] === 'DESC' ? 'DESC' : 'ASC'}`).join(', ')}` : '';
      return `SELECT ${this.shape.columnList()} FROM ${this.shape.table} WHERE ${clause}${orderBy}${limit !== undefined ? ` LIMIT ${Math.floor(limit)}` : ''}`;
    });
    return this.hydrateAll((await this.run(sql, params)).records);
  }

  async count(where: Where<T>): Promise<number> {
    const { clause, params, key } = this.where(where);
    const sql = this.shape.statement(`count|${key}`, () => `SELECT COUNT(*) AS n FROM ${this.shape.table} WHERE ${clause}`);
    const rows = (await this.run(sql, params)).records;
    return Number(rows[0]?.n ?? 0);
  }

  async insert(entity: T): Promise<void> {
    const columns = this.shape.columns.filter((c) => entity[c.propertyName] !== undefined);
    const sql = this.shape.statement(`insert|${columns.map((c) => c.propertyName).join(',')}`, () => {
      const names = columns.map((c) => quote(c.databaseName)).join(', ');
      return `INSERT INTO ${this.shape.table} (${names}) VALUES (${columns.map((_, i) => this.parameter(i)).join(', ')})`;
    });
    await this.write(
      sql,
      columns.map((c) => this.persistent(c, entity[c.propertyName])),
      this.rowOf(entity),
    );
    this.remember(entity);
  }

  /** Sets `changes` on the rows matching `where`; returns how many rows changed. */
  async update(where: Where<T>, changes: Partial<T>): Promise<number> {
    const statement = this.updateStatement(where, changes);
    if (!statement) return 0;
    return (await this.run(statement.sql, statement.params)).affected;
  }

  /**
   * Writes the columns the caller changed since the row was read (or inserted) here, by its
   * primary key, without reading it first; nothing when nothing changed. A row that did not come
   * through this class has every column written.
   */
  async save(entity: T, guard?: SaveGuard<T>): Promise<void> {
    const before = persisted.get(entity);
    const key = {} as Where<T>;
    const changes = {} as Partial<T>;
    for (const column of this.shape.columns) {
      const property = column.propertyName as keyof T & string;
      const value = entity[property];
      if (this.shape.isPrimary.has(column)) (key as Record<string, unknown>)[property] = value;
      else if (value !== undefined && (!before || before[property] !== value)) changes[property] = value;
    }
    const statement = this.updateStatement(key, changes, guard);
    if (!statement) return;
    await this.write(statement.sql, statement.params, this.rowOf(entity), guard && { expectAffected: 1, purpose: guard.purpose });
    this.remember(entity);
  }

  private updateStatement(where: Where<T>, changes: Partial<T>, guard?: SaveGuard<T>): { sql: string; params: unknown[] } | null {
    const set = (Object.keys(changes) as (keyof T & string)[]).filter((k) => changes[k] !== undefined).map((k) => this.shape.column(k));
    if (set.length === 0) return null;
    const conditions = this.where(where, set.length);
    const guardOffset = set.length + conditions.params.length;
    const sql = this.shape.statement(`update|${set.map((c) => c.propertyName).join(',')}|${conditions.key}|${guard?.key ?? ''}`, () => {
      const assignments = set.map((c, i) => `${quote(c.databaseName)} = ${this.parameter(i)}`).join(', ');
      const guarded = guard
        ? ` AND (${guard.condition({ column: (property) => quote(this.shape.column(property).databaseName), parameter: (index) => this.parameter(guardOffset + index) })})`
        : '';
      return `UPDATE ${this.shape.table} SET ${assignments} WHERE ${conditions.clause}${guarded}`;
    });
    return { sql, params: [...set.map((c) => this.persistent(c, changes[c.propertyName])), ...conditions.params, ...(guard?.params ?? [])] };
  }

  /** An insert or a save: held back when the transaction defers writes, else run now (a guard is checked either way). */
  private async write(sql: string, params: unknown[], row: string, expectation?: { expectAffected: number; purpose: string }): Promise<void> {
    const runner = this.manager.queryRunner;
    if (DeferredWrites.enabled(runner)) {
      await DeferredWrites.enqueue(runner, { sql, params, row, ...expectation });
      return;
    }
    const { affected } = await this.run(sql, params);
    if (expectation) assertAffected(expectation, affected);
  }

  private rowOf(entity: T): string {
    return `${this.shape.table}|${this.shape.primary.map((c) => String(entity[c.propertyName])).join('\u0000')}`;
  }

  /**
   * A statement of the caller's own, built once under `key`: `build` gets the quoted table name,
   * a column-name quoter, the entity's column list (for SELECT and RETURNING, optionally behind a
   * table alias) and the placeholder for parameter i. Rows come back hydrated, and raw
   * (`records`) for columns of joined tables.
   */
  async query(
    key: string,
    build: (sql: { table: string; column: (property: keyof T & string) => string; columns: (alias?: string, prefix?: string) => string; parameter: (index: number) => string }) => string,
    params: unknown[],
  ): Promise<{ rows: T[]; records: Record<string, unknown>[]; affected: number }> {
    const sql = this.shape.statement(`custom|${key}`, () =>
      build({
        table: this.shape.table,
        column: (property) => quote(this.shape.column(property).databaseName),
        columns: (alias, prefix) => this.shape.columnList(alias, prefix),
        parameter: (index) => this.parameter(index),
      }),
    );
    const { records, affected } = await this.run(sql, params);
    return { rows: this.hydrateAll(records), records, affected };
  }

  /** The table's quoted name, schema-qualified when the connection has a schema, for statements that join it. */
  get name(): string {
    return this.shape.table;
  }

  /** This entity's columns for a statement that joins it (see `hydrateJoined`). */
  columnList(alias?: string, prefix?: string): string {
    return this.shape.columnList(alias, prefix);
  }

  /** This entity's part of a joined row, its columns selected as `columns(alias, prefix)`; null when an outer join found none. */
  hydrateJoined(row: Record<string, unknown>, prefix: string): T | null {
    const missing = this.shape.primary.every((c) => row[prefix + c.databaseName] === null || row[prefix + c.databaseName] === undefined);
    return missing ? null : this.hydratePrefixed(row, prefix);
  }

  private hydratePrefixed(row: Record<string, unknown>, prefix: string): T {
    const entity = this.shape.metadata.create() as T;
    const driver = this.shape.dataSource.driver;
    for (const column of this.shape.columns) {
      const name = prefix + column.databaseName;
      if (name in row) (entity as Record<string, unknown>)[column.propertyName] = driver.prepareHydratedValue(row[name], column);
    }
    this.remember(entity);
    return entity;
  }

  private remember(entity: T): void {
    const values: Record<string, unknown> = {};
    for (const column of this.shape.columns) values[column.propertyName] = entity[column.propertyName];
    persisted.set(entity, values);
  }

  private hydrateAll(rows: Record<string, unknown>[]): T[] {
    return rows.map((row) => this.hydratePrefixed(row, ''));
  }

  private where(where: Where<T>, offset = 0): { clause: string; params: unknown[]; key: string } {
    const keys = Object.keys(where) as (keyof T & string)[];
    if (keys.length === 0) throw new Error(`refusing an unconditional statement on ${this.shape.table}`);
    const params: unknown[] = [];
    const parts: string[] = [];
    const keyParts: string[] = [];
    for (const property of keys) {
      const column = this.shape.column(property);
      const value = where[property];
      if (value === null) {
        parts.push(`${quote(column.databaseName)} IS NULL`);
        keyParts.push(`${property}=null`);
      } else {
        parts.push(`${quote(column.databaseName)} = ${this.parameter(offset + params.length)}`);
        params.push(this.persistent(column, value));
        keyParts.push(property);
      }
    }
    return { clause: parts.join(' AND '), params, key: keyParts.join(',') };
  }

  private parameter(index: number): string {
    return this.shape.dataSource.driver.createParameter(`p${index}`, index);
  }

  private persistent(column: ColumnMetadata, value: unknown): unknown {
    return this.shape.dataSource.driver.preparePersistentValue(value, column);
  }

  /** On the transaction's runner (after its held-back writes) when the manager has one, else on a pooled connection for this statement only. */
  private async run(sql: string, params: unknown[]): Promise<StatementResult> {
    const own = this.manager.queryRunner;
    if (own) {
      await DeferredWrites.flush(own);
      return runStatement(own, this.shape.postgres, sql, params);
    }
    const runner: QueryRunner = this.manager.connection.createQueryRunner();
    try {
      return await runStatement(runner, this.shape.postgres, sql, params);
    } finally {
      await runner.release();
    }
  }
}
