/**
 * The databases the Kysely store tests run on: SQLite in memory (or a temporary file), and PostgreSQL in
 * a schema of its own per test run, dropped afterwards.
 *
 * Services rule (issue 7): tests read PORTCULLIS_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 * Under CI=true the PostgreSQL suites always run, and fail when the server cannot be reached; elsewhere
 * they skip with a one-line reason.
 */
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { type Kysely, Kysely as KyselyClass, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import {
  DEFAULT_TABLE_NAMES,
  PreparedPostgresDialect,
  PreparedSqliteDialect,
} from "../../../src/stores/kysely/index.js";

// biome-ignore lint/suspicious/noExplicitAny: Kysely's spelling for a database of tables named at run time.
export type AnyDb = Kysely<any>;

export const PG_URL: string = process.env.PORTCULLIS_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const CI = process.env.CI === "true";

let probe: Promise<string | null> | undefined;

/** Connects once and runs `SELECT 1`: null when PostgreSQL answers, else why it does not. */
export function probePostgres(): Promise<string | null> {
  probe ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      return null;
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      return `${redact(PG_URL)}: ${code ?? message ?? String(error)}`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return probe;
}

/**
 * Why the PostgreSQL suites skip, or null when they run. Under CI=true always null: the suites run and
 * fail if the server is down.
 */
export async function postgresSkipReason(): Promise<string | null> {
  if (CI) return null;
  const reason = await probePostgres();
  if (reason !== null)
    console.warn(`PostgreSQL suites skipped: cannot reach ${reason} (set CI=true to fail instead)`);
  return reason;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/** A Kysely instance on a fresh better-sqlite3 database (in memory unless a file is named). */
export function sqliteDb(file = ":memory:", options: Database.Options = {}): AnyDb {
  return new KyselyClass({ dialect: new SqliteDialect({ database: new Database(file, options) }) });
}

/** The same on portcullis's PreparedSqliteDialect (statements prepared once per connection). */
export function preparedSqliteDb(file = ":memory:", options: Database.Options = {}): AnyDb {
  return new KyselyClass({ dialect: new PreparedSqliteDialect({ database: new Database(file, options) }) });
}

/** A PostgreSQL schema of its own: a pool whose search_path is that schema, and how to drop it all. */
export interface PostgresSchema {
  schema: string;
  pool: pg.Pool;
  db: AnyDb;
  /** Another Kysely instance (another pool) on the same schema, as a second app instance would have. */
  connect(max?: number): AnyDb;
  /** Destroys every instance made here and drops the schema. */
  drop(): Promise<void>;
}

/**
 * Creates a schema with a random name and a Kysely instance whose pool uses it as its search_path (or,
 * with `searchPath: false`, leaves the search_path alone, for `db.withSchema`).
 */
export async function postgresSchema(
  max = 10,
  options: { searchPath?: boolean; prepared?: boolean } = {},
): Promise<PostgresSchema> {
  const Dialect = options.prepared === true ? PreparedPostgresDialect : PostgresDialect;
  const schema = `portcullis_test_${randomBytes(6).toString("hex")}`;
  await admin(`CREATE SCHEMA "${schema}"`);
  const instances: AnyDb[] = [];
  const pathOf = options.searchPath === false ? { options: undefined } : {};
  const connect = (poolSize = max): AnyDb => {
    const db = new KyselyClass({
      dialect: new Dialect({ pool: schemaPool(schema, poolSize, pathOf) }),
    });
    instances.push(db);
    return db;
  };
  const pool = schemaPool(schema, max, pathOf);
  const db = new KyselyClass({ dialect: new Dialect({ pool }) });
  instances.push(db);
  return {
    schema,
    pool,
    db,
    connect,
    async drop() {
      await Promise.all(instances.map((instance) => instance.destroy()));
      await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

/** A pg Pool on PG_URL whose connections use `schema` as their search_path. */
export function schemaPool(schema: string, max = 10, overrides: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: PG_URL,
    options: `-c search_path=${schema}`,
    max,
    connectionTimeoutMillis: 5000,
    ...overrides,
  });
  // A broken connection is reported as an 'error' event: on an idle client the pool emits it (and drops
  // the client); on a client Kysely has checked out, only a listener of the client's own hears it, and
  // without one the process dies (node-postgres #1324). The query in flight fails either way.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** Runs one statement on a connection of its own. */
export async function admin(statement: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(statement, values);
  } finally {
    await client.end();
  }
}

/** Empties every portcullis table, for a fresh store on an already migrated database. */
export async function emptyTables(db: AnyDb): Promise<void> {
  for (const table of Object.values(DEFAULT_TABLE_NAMES)) await db.deleteFrom(table).execute();
}
