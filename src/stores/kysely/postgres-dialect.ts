/**
 * A PostgresDialect that sends the stores' hot reads as named (prepared) statements.
 */
import {
  type CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Driver,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresDriver,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryId,
  type RootOperationNode,
} from "kysely";
import { announce, type FastPaths } from "./hot-query.js";
import { PostgresShared } from "./postgres-shared.js";
import type { AnyKysely } from "./tables.js";

/** What the driver refuses a probe's acquisition with (PostgresShared#pooled). */
const PROBE = new Error("portcullis: probing the connection provider");

/** Kysely's own connection class, which it does not export. */
type KyselyPostgresConnection = Parameters<PostgresDriver["releaseConnection"]>[0];

/**
 * Kysely's PostgresDriver, telling the dialect's direct reads when Kysely is up, logs, or is destroyed,
 * and which instances take a pooled connection per query.
 */
class PreparedPostgresDriver extends PostgresDriver {
  readonly #shared: PostgresShared;

  constructor(config: PostgresDialectConfig, shared: PostgresShared) {
    super(config);
    this.#shared = shared;
  }

  override acquireConnection(): Promise<DatabaseConnection> {
    return this.#shared.acquiring() ? super.acquireConnection() : Promise.reject(PROBE);
  }

  override async releaseConnection(connection: KyselyPostgresConnection): Promise<void> {
    this.#shared.released(connection);
    await super.releaseConnection(connection);
  }

  override async destroy(): Promise<void> {
    this.#shared.close();
    await super.destroy();
  }
}

class PreparedPostgresCompiler extends PostgresQueryCompiler {
  readonly #fast: FastPaths;

  constructor(shared: PostgresShared) {
    super();
    this.#fast = { postgres: shared };
  }

  override compileQuery(node: RootOperationNode, queryId: QueryId): CompiledQuery {
    announce(this.#fast);
    return super.compileQuery(node, queryId);
  }
}

/**
 * Kysely's `PostgresDialect` for node-postgres (`pg`), built for the portcullis stores: the recommended
 * way to build the Kysely instance they take on PostgreSQL. It takes the same options, and sends the
 * stores' hot reads ({@link KyselyTokenStore.findByDigest}, {@link KyselyUserStore.findById} and
 * `findByUsername`) as named statements, `pool.query({ name, text, values })`: each connection parses
 * and plans them once, then only binds and executes them. Every other query is sent as
 * `PostgresDialect` sends it (unnamed: parsed, planned and executed each time). Outside a transaction,
 * once Kysely has run a query on the instance, those reads check a connection out of the pool and run
 * on it directly, as `pool.query` does, skipping Kysely's executor; Kysely's `log` option,
 * `onCreateConnection` or `onReserveConnection` turns that off (they then run through Kysely), and
 * result plugins (`transformResult`) do not see them: the stores use none. A store built on a
 * transaction or on `db.connection()` reads on that connection, through Kysely.
 *
 * A named statement lives on its connection until the connection closes. When the server has dropped
 * it (`DISCARD ALL`, `DEALLOCATE`) or a table it reads changed shape (a column added by your migration:
 * "cached plan must not change result type"), the read is prepared again under a new name, once. Inside
 * a transaction the reads go unnamed, so that retry is always possible. Behind PgBouncer in transaction
 * mode, named statements need its `max_prepared_statements` (1.21 or later); otherwise use Kysely's
 * `PostgresDialect`.
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
  readonly #shared: PostgresShared;
  readonly #config: PostgresDialectConfig;

  /**
   * @param config - Kysely's PostgresDialect options (`pool`, `cursor`, `onCreateConnection`, …)
   */
  constructor(config: PostgresDialectConfig) {
    const shared = new PostgresShared(config);
    const { pool } = config;
    const wrapped: PostgresDialectConfig = {
      ...config,
      pool: async () => shared.wrapPool(typeof pool === "function" ? await pool() : pool),
    };
    super(wrapped);
    this.#shared = shared;
    this.#config = wrapped;
  }

  /** Kysely's PostgresDriver on the wrapped pool. */
  override createDriver(): Driver {
    return new PreparedPostgresDriver(this.#config, this.#shared);
  }

  /** Kysely's PostgreSQL introspector (`db.introspection`). */
  override createIntrospector(db: AnyKysely): DatabaseIntrospector {
    return super.createIntrospector(db);
  }

  /** Kysely's PostgreSQL compiler, which lets the stores name their hot reads. */
  override createQueryCompiler(): QueryCompiler {
    return new PreparedPostgresCompiler(this.#shared);
  }
}
