/**
 * The tables of the Kysely stores, as Kysely migrations that run on SQLite and PostgreSQL alike.
 */
import { type Migration, type MigrationProvider, type MigrationResult, Migrator, sql } from "kysely";
import { initial, isPostgres, revocationConsumedAt, throttles, userStaff } from "./migration-steps.js";
import { type AnyKysely, type KyselyTableNames, resolveTables } from "./tables.js";

/**
 * The migration bookkeeping tables portcullis uses, apart from Kysely's default `kysely_migration`, so
 * the application's own Kysely migrations and portcullis's never see each other's names.
 *
 * @example
 * ```ts
 * new Migrator({ db, provider: new PortcullisMigrationProvider(), ...PORTCULLIS_MIGRATION_TABLES });
 * ```
 */
export const PORTCULLIS_MIGRATION_TABLES: Readonly<{
  /** The applied migrations: `portcullis_migration`. */
  migrationTableName: string;
  /** The lock row Kysely's Migrator takes: `portcullis_migration_lock`. */
  migrationLockTableName: string;
}> = Object.freeze({
  migrationTableName: "portcullis_migration",
  migrationLockTableName: "portcullis_migration_lock",
});

/**
 * Options for {@link migrateToLatest}.
 *
 * @example
 * ```ts
 * await migrateToLatest(db, { tables: { users: "auth_users" } });
 * ```
 */
export interface MigrateOptions {
  /**
   * Table names, where they differ from the defaults: the same object the stores take. They are fixed
   * by the first migration; renaming later is a migration of your own.
   */
  tables?: KyselyTableNames;
  /**
   * The PostgreSQL schema of the bookkeeping tables (Kysely's `migrationTableSchema`). Default: the
   * connection's `current_schema()`, the first schema of its `search_path`, where the tables go too. Set
   * it to the schema of a `db.withSchema(…)` instance.
   */
  migrationTableSchema?: string;
}

/**
 * The portcullis migrations as a Kysely `MigrationProvider`, for running them with a `Migrator`
 * of your own (to migrate down, say). Use {@link PORTCULLIS_MIGRATION_TABLES} with it.
 *
 * Times are `bigint` epoch milliseconds, flags `integer` 0/1 and JSON `text`, so one schema reads the
 * same on SQLite and PostgreSQL. Every table is created `IF NOT EXISTS`, so a migration that stopped
 * half-way (SQLite has no transactional DDL) can run again.
 *
 * @example
 * ```ts
 * const migrator = new Migrator({
 *   db,
 *   provider: new PortcullisMigrationProvider({ tokens: "api_tokens" }),
 *   ...PORTCULLIS_MIGRATION_TABLES,
 * });
 * await migrator.migrateDown();
 * ```
 */
export class PortcullisMigrationProvider implements MigrationProvider {
  readonly #tables: Required<KyselyTableNames>;

  /**
   * @param tables - table names, where they differ from the defaults
   */
  constructor(tables?: KyselyTableNames) {
    this.#tables = resolveTables(tables);
  }

  /** The migrations by name, oldest first. */
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      "0001_portcullis_initial": initial(this.#tables),
      "0002_portcullis_revocation_consumed_at": revocationConsumedAt(this.#tables),
      "0003_portcullis_throttles": throttles(this.#tables),
      "0004_portcullis_user_staff": userStaff(this.#tables),
    };
  }
}

/**
 * Creates the tables of every Kysely store, or brings them up to date: run it at startup or from a
 * deploy step. Running it again is a no-op. Concurrent runs (several instances starting at once) are
 * safe: on PostgreSQL they wait for each other on Kysely's migration lock; on SQLite, which has none
 * across connections, a run that collides with another's (its migration already recorded, or the file
 * locked) is tried again, up to five times in all, and finds the work done; any other error is thrown at
 * once.
 *
 * @param db - the Kysely instance the stores use
 * @param options - table names, and the schema of the bookkeeping tables
 * @returns what ran, in order (empty when the database was up to date)
 * @throws the migration's error (Kysely's `Migrator` reports it rather than throwing; this rethrows it)
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 * import { Kysely, SqliteDialect } from "kysely";
 * import { KyselyUserStore, migrateToLatest } from "portcullis/kysely";
 *
 * const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(".data/auth.db") }) });
 * await migrateToLatest(db);
 * const users = new KyselyUserStore({ db });
 * ```
 */
export async function migrateToLatest(
  db: AnyKysely,
  options: MigrateOptions = {},
): Promise<MigrationResult[]> {
  const provider = new PortcullisMigrationProvider(options.tables);
  const postgres = isPostgres(db);
  const migrationTableSchema =
    options.migrationTableSchema ?? (postgres ? await currentSchema(db) : undefined);
  const migrator = new Migrator({
    db,
    provider,
    ...PORTCULLIS_MIGRATION_TABLES,
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (error === undefined) return results ?? [];
    // Only a collision with another connection's run is tried again: its migration already recorded, or
    // the file locked. It left nothing another run cannot finish (every table and index IF NOT EXISTS).
    if (postgres || attempt === SQLITE_MIGRATION_ATTEMPTS || !isSqliteCollision(error)) throw error;
    await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt + Math.random() * 20));
  }
}

// How many times migrateToLatest runs the migrations on SQLite before it gives up.
const SQLITE_MIGRATION_ATTEMPTS = 5;

// better-sqlite3's codes for a unique key taken meanwhile, or a database another connection holds.
function isSqliteCollision(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^SQLITE_(?:CONSTRAINT_(?:PRIMARYKEY|UNIQUE)|BUSY|LOCKED)/.test(code);
}

/**
 * PostgreSQL's `current_schema()`. Without it Kysely's Migrator takes a
 * `portcullis_migration` table in ANY schema for its own, so a second schema (another tenant, another
 * test run) would never be migrated.
 */
async function currentSchema(db: AnyKysely): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? undefined;
}
