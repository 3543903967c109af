/**
 * A SqliteDialect whose driver prepares each statement once per connection, on Kysely's public Driver
 * and DatabaseConnection interfaces.
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  type SqliteStatement,
} from "kysely";
import { SavepointDriver } from "./savepoints.js";

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
   * The better-sqlite3 `Database`, or a function that gives it (called once, on first use); it is
   * closed when the Kysely instance is destroyed.
   */
  database: SqliteDialectConfig["database"];
  /**
   * How many prepared statements to keep, by SQL text; the oldest is dropped past it. Default 200.
   */
  maxStatements?: number;
  /**
   * Run the stores' hot reads (a token by digest, a user by id or username) on their prepared statement
   * at once when the connection is free, outside Kysely's executor: Kysely's query `log` does not see
   * them (its plugins keep them on Kysely's path, and so does a transaction). Default false.
   */
  directReads?: boolean;
}

/** The one connection of a better-sqlite3 handle, with its prepared statements by SQL text. */
class PreparedSqliteConnection implements DatabaseConnection {
  readonly #database: SqliteDatabase;
  readonly #max: number;
  readonly #statements = new Map<string, SqliteStatement>();

  constructor(database: SqliteDatabase, max: number) {
    this.#database = database;
    this.#max = max;
  }

  /** The statement for `sql`, prepared once. */
  statement(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#database.prepare(sql);
      if (this.#statements.size >= this.#max) {
        this.#statements.delete(this.#statements.keys().next().value as string);
      }
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const statement = this.statement(sql);
    if (statement.reader) return Promise.resolve({ rows: statement.all(parameters) as R[] });
    const { changes, lastInsertRowid } = statement.run(parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) {
      throw new Error("Sqlite driver only supports streaming of select queries");
    }
    // A statement of its own: a cached one may not be run again while this one iterates.
    const iterator = this.#database.prepare(compiledQuery.sql).iterate(compiledQuery.parameters);
    for (const row of iterator) yield { rows: [row as R] };
  }

  close(): void {
    this.#statements.clear();
    this.#database.close();
  }
}

/** Kysely's SqliteDriver with the caching connection: one connection, handed out one holder at a time. */
class PreparedSqliteDriver extends SavepointDriver implements Driver {
  readonly #config: PreparedSqliteDialectConfig;
  readonly #max: number;
  #connection: PreparedSqliteConnection | undefined;
  #held = false;
  /** Who waits for the connection, first come first served. */
  readonly #waiting: (() => void)[] = [];

  constructor(config: PreparedSqliteDialectConfig, max: number) {
    super();
    this.#config = config;
    this.#max = max;
  }

  async init(): Promise<void> {
    const { database } = this.#config;
    const handle = typeof database === "function" ? await database() : database;
    this.#connection = new PreparedSqliteConnection(handle, this.#max);
    await this.#config.onCreateConnection?.(this.#connection);
  }

  acquireConnection(): Promise<DatabaseConnection> {
    const connection = this.#connection as PreparedSqliteConnection;
    // SQLite has one connection: the next holder waits until this one releases it.
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(connection);
    }
    return new Promise((resolve) => this.#waiting.push(() => resolve(connection)));
  }

  /** The first row of a select run at once, or FREE_ONLY when someone holds the connection. */
  readNow(sql: string, parameters: readonly unknown[]): unknown {
    const connection = this.#connection;
    if (this.#held || connection === undefined) return FREE_ONLY;
    return (connection.statement(sql) as SqliteStatement & { get(p: readonly unknown[]): unknown }).get(
      parameters,
    );
  }

  releaseConnection(): Promise<void> {
    const next = this.#waiting.shift();
    if (next === undefined) this.#held = false;
    else next(); // handed on directly: still held
    return Promise.resolve();
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

  async destroy(): Promise<void> {
    this.#connection?.close();
  }
}

/** What {@link PreparedSqliteDriver.readNow} answers while the connection is held. @internal */
export const FREE_ONLY: unique symbol = Symbol("held");

/**
 * The adapter of a {@link PreparedSqliteDialect} with `directReads`: Kysely's SqliteAdapter, which also
 * reaches the driver, so a store's hot read can run at once. @internal
 */
export class DirectReadAdapter extends SqliteAdapter {
  readonly #driver: PreparedSqliteDriver;

  constructor(driver: PreparedSqliteDriver) {
    super();
    this.#driver = driver;
  }

  /** The first row (undefined for none), or FREE_ONLY when the connection is held. */
  readNow(sql: string, parameters: readonly unknown[]): unknown {
    return this.#driver.readNow(sql, parameters);
  }
}

/**
 * Kysely's `SqliteDialect` for better-sqlite3, whose driver prepares each statement once: the
 * recommended way to build the Kysely instance the portcullis stores take on SQLite. Kysely's own driver
 * calls `database.prepare(sql)` for every query; this one keeps the prepared statements of its
 * connection by SQL text (at most `maxStatements`, the oldest dropped first), as an app that uses
 * better-sqlite3 directly would, so a store's hot read (a token by digest, a user by id) runs one
 * prepared statement with new parameters each time.
 *
 * Everything else is Kysely's `SqliteDialect`: the same options, one connection handed out through
 * Kysely, transactions, savepoints, streams, the query log and plugins. It is built on Kysely's public
 * `Driver` and `DatabaseConnection` interfaces only.
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
  readonly #config: PreparedSqliteDialectConfig;
  readonly #max: number;
  /** The driver made for the Kysely instance being built (Kysely asks for the driver, then the adapter). */
  #driver: PreparedSqliteDriver | undefined;

  /**
   * @param config - Kysely's SqliteDialect options (`database`, `onCreateConnection`) and `maxStatements`
   */
  constructor(config: PreparedSqliteDialectConfig) {
    const max = config.maxStatements ?? 200;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError("PreparedSqliteDialect: maxStatements must be a positive integer.");
    }
    super(config);
    this.#config = { ...config };
    this.#max = max;
  }

  /** A driver whose connection keeps its prepared statements. */
  override createDriver(): Driver {
    this.#driver = new PreparedSqliteDriver(this.#config, this.#max);
    return this.#driver;
  }

  /** Kysely's SqliteAdapter; with `directReads`, one that reaches the driver made with it. */
  override createAdapter(): DialectAdapter {
    const driver = this.#driver;
    return this.#config.directReads && driver !== undefined
      ? new DirectReadAdapter(driver)
      : super.createAdapter();
  }
}
