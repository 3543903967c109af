/**
 * A SqliteDialect that prepares each statement once, and lets the stores read without the connection
 * queue while nobody holds the connection.
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Driver,
  type QueryCompiler,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  SelectQueryNode,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteQueryCompiler,
  type SqliteStatement,
} from "kysely";
import { announce, type FastPaths, NOT_NOW } from "./hot-query.js";
import { RowReaders } from "./sqlite-reader.js";
import type { AnyKysely } from "./tables.js";

/**
 * Options for {@link PreparedSqliteDialect}: Kysely's `SqliteDialectConfig`, and the size of the
 * statement cache.
 *
 * @example
 * ```ts
 * const dialect = new PreparedSqliteDialect({ database: new Database("auth.db"), maxStatements: 500 });
 * ```
 */
export interface PreparedSqliteDialectConfig extends SqliteDialectConfig {
  /**
   * The better-sqlite3 `Database`, or an async function that opens it on first use (once per dialect).
   * `db.destroy()` closes it.
   */
  database: SqliteDatabase | (() => Promise<SqliteDatabase>);
  /**
   * How many prepared statements to keep, by SQL text; the oldest is dropped past it. Default 200.
   */
  maxStatements?: number;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** What every driver of one dialect shares: the handle, its statements and its queue. @internal */
export class SqliteShared {
  readonly #config: PreparedSqliteDialectConfig;
  readonly #max: number;
  readonly #statements = new Map<string, SqliteStatement>();
  /** readFirst's own statements, in raw mode. */
  readonly #readers: RowReaders;
  #database: SqliteDatabase | undefined;
  #opening: Promise<SqliteDatabase> | undefined;
  /** Connections held or waited for. */
  #holders = 0;
  readonly #waiters: (() => void)[] = [];
  /** Set once Kysely has acquired and released a connection without wrapping it for its `log`. */
  #ready = false;
  #logged = false;
  #closed = false;

  constructor(config: PreparedSqliteDialectConfig) {
    const max = config.maxStatements ?? 200;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError("PreparedSqliteDialect: maxStatements must be a positive integer.");
    }
    this.#config = config;
    this.#max = max;
    this.#readers = new RowReaders(max, (sql) => this.prepareFresh(sql));
  }

  open(): Promise<SqliteDatabase> {
    if (this.#database !== undefined) return Promise.resolve(this.#database);
    const { database } = this.#config;
    this.#opening ??= (async () => {
      try {
        this.#database = typeof database === "function" ? await database() : database;
        return this.#database;
      } finally {
        this.#opening = undefined; // a factory that failed is asked again next time, as Kysely's driver does
      }
    })();
    return this.#opening;
  }

  prepare(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      if (this.#database === undefined) throw new Error("PreparedSqliteDialect: the database is not open.");
      statement = this.#database.prepare(sql);
      if (this.#statements.size >= this.#max) {
        this.#statements.delete(this.#statements.keys().next().value as string);
      }
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** A statement of its own, outside the cache (for a stream, which holds its statement while it iterates). */
  prepareFresh(sql: string): SqliteStatement {
    if (this.#database === undefined) throw new Error("PreparedSqliteDialect: the database is not open.");
    return this.#database.prepare(sql);
  }

  lock(): Promise<void> {
    this.#holders++;
    if (this.#holders === 1) return RESOLVED;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  unlock(connection: DatabaseConnection): void {
    // Kysely's `log` option wraps the connection's executeQuery in place; the direct reads would miss it.
    if (Object.hasOwn(connection, "executeQuery")) this.#logged = true;
    this.#ready = true;
    this.#holders--;
    this.#waiters.shift()?.();
  }

  /**
   * The first row of a read (or undefined), run at once, when nobody holds or awaits the connection (no
   * transaction, stream or `db.connection()` is open, so the read cannot land inside one); otherwise
   * {@link NOT_NOW}, and the caller goes through Kysely. better-sqlite3 runs a statement to completion
   * synchronously, so this is what acquiring, running and releasing would do, without the queue's promises.
   */
  readFirst(sql: string, parameters: readonly unknown[]): unknown {
    if (this.#holders !== 0 || !this.#ready || this.#logged || this.#closed) return NOT_NOW;
    const reader = this.#readers.get(sql);
    return reader === null ? this.prepare(sql).all(parameters)[0] : reader.first(parameters);
  }

  /** After SQL through the connection: a `create`, `alter` or `drop` makes every reader read its names anew. */
  ran(sql: string): void {
    this.#readers.ran(sql);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#readers.clear();
    this.#database?.close();
  }
}

class PreparedSqliteConnection implements DatabaseConnection {
  readonly #shared: SqliteShared;

  constructor(shared: SqliteShared) {
    this.#shared = shared;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const statement = this.#shared.prepare(sql);
    if (statement.reader) return Promise.resolve({ rows: statement.all(parameters) as R[] });
    const { changes, lastInsertRowid } = statement.run(parameters);
    this.#shared.ran(sql);
    return Promise.resolve({
      numAffectedRows: BigInt(changes),
      insertId: BigInt(lastInsertRowid),
      rows: [],
    });
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) {
      throw new Error("Sqlite driver only supports streaming of select queries");
    }
    // A statement of its own: a cached one may not be run again while this one iterates.
    const iterator = this.#shared.prepareFresh(compiledQuery.sql).iterate(compiledQuery.parameters);
    for (const row of iterator) yield { rows: [row as R] };
  }
}

class PreparedSqliteDriver implements Driver {
  readonly #shared: SqliteShared;
  readonly #config: PreparedSqliteDialectConfig;
  readonly #connection: PreparedSqliteConnection;

  constructor(shared: SqliteShared, config: PreparedSqliteDialectConfig) {
    this.#shared = shared;
    this.#config = config;
    this.#connection = new PreparedSqliteConnection(shared);
  }

  async init(): Promise<void> {
    await this.#shared.open();
    await this.#config.onCreateConnection?.(this.#connection);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#shared.lock();
    return this.#connection;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#shared.unlock(connection);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin"));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quote(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quote(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quote(name)}`));
  }

  async destroy(): Promise<void> {
    this.#shared.close();
  }
}

class PreparedSqliteCompiler extends SqliteQueryCompiler {
  readonly #fast: FastPaths;

  constructor(shared: SqliteShared) {
    super();
    this.#fast = { sqlite: shared };
  }

  override compileQuery(node: RootOperationNode, queryId: QueryId): CompiledQuery {
    announce(this.#fast);
    return super.compileQuery(node, queryId);
  }
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * Kysely's `SqliteDialect` for better-sqlite3, built for the portcullis stores: the recommended way to
 * build the Kysely instance they take on SQLite. It takes the same options, and differs in two ways:
 *
 * - **Each statement is prepared once.** Kysely's own driver calls `database.prepare(sql)` for every
 *   query; this one keeps the prepared statements by SQL text (at most `maxStatements`, the oldest
 *   dropped first), as an app that uses better-sqlite3 directly would.
 * - **The stores' hot reads skip the connection queue when it is empty.** SQLite has one connection,
 *   which Kysely hands out through a queue of promises. When no transaction, stream or
 *   `db.connection()` holds it and no query waits for it, {@link KyselyTokenStore.findByDigest} and
 *   {@link KyselyUserStore.findById} (and `findByUsername`) run their prepared statement at once:
 *   better-sqlite3 runs it to completion synchronously, so nothing can interleave. Otherwise they go
 *   through Kysely as usual. Kysely's `log` option turns this off (its query log sees every query), and
 *   result plugins (`transformResult`) do not see these reads: the stores use none.
 *
 * Transactions, savepoints, streams and every other query run as with `SqliteDialect`. Build one Kysely
 * instance per dialect: the instances of one dialect share its handle, statements and queue.
 *
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 * import { Kysely } from "kysely";
 * import { KyselyTokenStore, KyselyUserStore, migrateToLatest, PreparedSqliteDialect } from "portcullis/kysely";
 *
 * const database = new Database(".data/auth.db", { timeout: 5000 });
 * database.pragma("journal_mode = WAL");
 * const db = new Kysely({ dialect: new PreparedSqliteDialect({ database }) });
 * await migrateToLatest(db);
 * const tokens = new KyselyTokenStore({ db });
 * const users = new KyselyUserStore({ db });
 * ```
 * @see https://kysely.dev/docs/dialects
 */
export class PreparedSqliteDialect extends SqliteDialect {
  readonly #shared: SqliteShared;
  readonly #config: PreparedSqliteDialectConfig;

  /**
   * @param config - Kysely's SqliteDialect options (`database`, `onCreateConnection`) and `maxStatements`
   */
  constructor(config: PreparedSqliteDialectConfig) {
    super(config);
    this.#config = { ...config };
    this.#shared = new SqliteShared(this.#config);
  }

  /** A driver on this dialect's one handle. */
  override createDriver(): Driver {
    return new PreparedSqliteDriver(this.#shared, this.#config);
  }

  /** Kysely's SQLite introspector (`db.introspection`). */
  override createIntrospector(db: AnyKysely): DatabaseIntrospector {
    return super.createIntrospector(db);
  }

  /** Kysely's SQLite compiler, which lets the stores find this dialect's direct reads. */
  override createQueryCompiler(): QueryCompiler {
    return new PreparedSqliteCompiler(this.#shared);
  }
}
