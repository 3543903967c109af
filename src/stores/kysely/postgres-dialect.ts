/**
 * A PostgresDialect whose driver sends Kysely's selects as named (prepared) statements, per connection,
 * on Kysely's public Driver and DatabaseConnection interfaces.
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  PostgresDialect,
  type PostgresDialectConfig,
  type PostgresPool,
  type QueryResult,
  SelectQueryNode,
  type TransactionSettings,
} from "kysely";
import { SavepointDriver } from "./savepoints.js";

/** At most this many statements are named per connection; past it they are sent unnamed. */
const MAX_NAMED = 100;

/** pg's client, with the query config and `release(destroy)` that Kysely's client interface leaves out. */
interface PgClient {
  query(...args: unknown[]): Promise<PgResult> & AsyncCursor;
  release(destroy?: boolean): void;
}
interface PgResult {
  command: string;
  rowCount: number | null;
  rows: unknown[];
}
interface AsyncCursor {
  read(count: number): Promise<unknown[]>;
  close(): Promise<void>;
}

// The server dropped the statement (DISCARD ALL, DEALLOCATE: SQLSTATE 26000), or a table it reads changed
// shape since it was prepared ("cached plan must not change result type", 0A000 from RevalidateCachedQuery).
function isStale(error: unknown): boolean {
  const { code, routine } = (error ?? {}) as { code?: unknown; routine?: unknown };
  return code === "26000" || (code === "0A000" && routine === "RevalidateCachedQuery");
}

// A name made from the SQL text alone, so that two dialects sharing one pg pool name a text alike
// (pg refuses one name for two texts on a connection). 53-bit cyrb53: a clash needs ~10^8 texts.
function nameOf(sql: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < sql.length; i++) {
    const code = sql.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `portcullis_${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
}

/**
 * One pooled pg connection. Outside a transaction, a select built with Kysely's query builder goes as a
 * named statement; inside one, and for every other query, unnamed (so that a stale statement can always
 * be prepared again: in a transaction the failed attempt would have aborted it).
 */
class PreparedPostgresConnection implements DatabaseConnection {
  readonly #client: PgClient;
  readonly #cursor: PostgresDialectConfig["cursor"];
  /** The SQL texts named on this connection, and their names. */
  readonly #names = new Map<string, string>();
  #inTransaction = false;
  /** Appended to every name once the server has forgotten or invalidated this connection's statements. */
  #suffix = "";
  #generation = 0;
  discarded = false;

  constructor(client: PgClient, cursor: PostgresDialectConfig["cursor"]) {
    this.#client = client;
    this.#cursor = cursor;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.discarded) throw new Error("Postgres connection has been discarded");
    const { sql, parameters } = compiledQuery;
    const name = this.#inTransaction ? undefined : this.#name(compiledQuery);
    if (name === undefined) this.#track(sql);
    const { command, rowCount, rows } =
      name === undefined
        ? await this.#client.query(sql, [...parameters])
        : await this.#named(name, sql, parameters);
    if (command === "ROLLBACK" || command === "COMMIT") return { rows: [{ command } as R] };
    const affected =
      command === "INSERT" || command === "UPDATE" || command === "DELETE" || command === "MERGE";
    return { numAffectedRows: affected ? BigInt(rowCount ?? 0) : undefined, rows: (rows ?? []) as R[] };
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize = 100,
  ): AsyncIterableIterator<QueryResult<R>> {
    if (this.#cursor === undefined || this.#cursor === null) {
      throw new Error(
        "'cursor' is not present in your postgres dialect config. It's required to make streaming work in postgres.",
      );
    }
    if (!Number.isInteger(chunkSize) || chunkSize <= 0)
      throw new Error("chunkSize must be a positive integer");
    const cursor = this.#client.query(new this.#cursor(compiledQuery.sql, [...compiledQuery.parameters]));
    try {
      for (let rows = await cursor.read(chunkSize); rows.length > 0; rows = await cursor.read(chunkSize)) {
        yield { rows: rows as R[] };
      }
    } finally {
      await cursor.close();
    }
  }

  release(): void {
    this.#inTransaction = false;
    this.#client.release(this.discarded);
  }

  #name({ sql, query }: CompiledQuery): string | undefined {
    let name = this.#names.get(sql);
    if (name === undefined && SelectQueryNode.is(query) && this.#names.size < MAX_NAMED) {
      name = nameOf(sql);
      this.#names.set(sql, name);
    }
    return name;
  }

  // Kysely opens and ends transactions with these statements (savepoints are "rollback to"); so may the
  // application, on db.connection().
  #track(sql: string): void {
    if (/^\s*(begin|start\s+transaction)\b/i.test(sql)) this.#inTransaction = true;
    else if (/^\s*(commit|end|rollback(?!\s+to\b))\b/i.test(sql)) this.#inTransaction = false;
  }

  async #named(name: string, text: string, values: readonly unknown[]): Promise<PgResult> {
    try {
      return await this.#client.query({ name: `${name}${this.#suffix}`, text, values: [...values] });
    } catch (error) {
      if (!isStale(error)) throw error;
      // pg still counts the old names as parsed on this connection: prepare every statement again under
      // new ones (DISCARD ALL and DEALLOCATE ALL drop them all). Not in a transaction, so this can succeed.
      this.#suffix = `_${++this.#generation}`;
      return await this.#client.query({ name: `${name}${this.#suffix}`, text, values: [...values] });
    }
  }
}

/** Kysely's PostgresDriver, on connections that name their selects. */
class PreparedPostgresDriver extends SavepointDriver implements Driver {
  readonly #config: PostgresDialectConfig;
  readonly #connections = new WeakMap<object, PreparedPostgresConnection>();
  #pool: PostgresPool | undefined;

  constructor(config: PostgresDialectConfig) {
    super();
    this.#config = config;
  }

  async init(): Promise<void> {
    const { pool } = this.#config;
    this.#pool = typeof pool === "function" ? await pool() : pool;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = (await (this.#pool as PostgresPool).connect()) as unknown as PgClient;
    if (this.#pool === undefined) {
      client.release(); // destroy() ran while the connection was being acquired
      throw new Error("driver has already been destroyed");
    }
    let connection = this.#connections.get(client);
    if (connection === undefined) {
      connection = new PreparedPostgresConnection(client, this.#config.cursor);
      this.#connections.set(client, connection);
      // pg has no async hook for a new connection: the driver calls onCreateConnection itself, as Kysely's does.
      await this.#config.onCreateConnection?.(connection);
    }
    await this.#config.onReserveConnection?.(connection);
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let sql = "begin";
    if (settings.isolationLevel !== undefined || settings.accessMode !== undefined) {
      sql = "start transaction";
      if (settings.isolationLevel !== undefined) sql += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode !== undefined) sql += ` ${settings.accessMode}`;
    }
    await connection.executeQuery(CompiledQuery.raw(sql));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw("commit"));
    // PostgreSQL completes COMMIT with a ROLLBACK tag when an earlier error left the transaction aborted.
    if (rows[0]?.command === "ROLLBACK") throw new Error("Transaction was rolled back instead of committed");
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw("rollback"));
    } catch (error) {
      (connection as PreparedPostgresConnection).discarded = true; // its state is unknown: the pool drops it
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PreparedPostgresConnection).release();
  }

  async destroy(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }
}

/**
 * Kysely's `PostgresDialect` for node-postgres (`pg`), whose driver sends selects as named statements:
 * the recommended way to build the Kysely instance the portcullis stores take on PostgreSQL. Outside a
 * transaction, each select built with Kysely's query builder (the stores' hot reads among them: a token
 * by digest, a user by id or username) goes as `client.query({ name, text, values })`, so each
 * connection parses and plans it once, then only binds and executes it; at most 100 SQL texts are
 * named per connection, and the rest go unnamed. Raw SQL (`sql\`…\``), writes, and everything inside a
 * transaction go unnamed, as `PostgresDialect` sends them.
 *
 * A named statement lives on its connection until the connection closes. When the server has dropped
 * it (`DISCARD ALL`, `DEALLOCATE`) or a table it reads changed shape (a column added by your migration:
 * "cached plan must not change result type"), the read is prepared again under a new name, once. Behind
 * PgBouncer in transaction mode, named statements need its `max_prepared_statements` (1.21 or later);
 * otherwise use Kysely's `PostgresDialect`. Everything else is Kysely's `PostgresDialect`: the same
 * options, the query log, plugins and connection hooks. It is built on Kysely's public `Driver` and
 * `DatabaseConnection` interfaces only.
 *
 * @example
 * ```ts
 * import { Kysely } from "kysely";
 * import pg from "pg";
 * import { KyselyTokenStore, KyselyUserStore, migrateToLatest, PreparedPostgresDialect } from "portcullis/kysely";
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
 * const db = new Kysely({ dialect: new PreparedPostgresDialect({ pool }) });
 * await migrateToLatest(db);
 * const tokens = new KyselyTokenStore({ db });
 * const users = new KyselyUserStore({ db });
 * ```
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
export class PreparedPostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;

  /**
   * @param config - Kysely's PostgresDialect options (`pool`, `cursor`, `onCreateConnection`, …)
   */
  constructor(config: PostgresDialectConfig) {
    super(config);
    this.#config = { ...config };
  }

  /** A driver whose connections name their selects. */
  override createDriver(): Driver {
    return new PreparedPostgresDriver(this.#config);
  }
}
