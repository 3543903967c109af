/**
 * The tables of the Kysely stores, as Kysely migrations that run on SQLite and PostgreSQL alike.
 */
import {
  type Migration,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  PostgresIntrospector,
  sql,
} from "kysely";
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

/** Whether `db` is on PostgreSQL: by its introspector (by name too: a second copy of kysely has its own class). */
function isPostgres(db: AnyKysely): boolean {
  const introspector = db.introspection as object;
  return (
    introspector instanceof PostgresIntrospector || introspector.constructor?.name === "PostgresIntrospector"
  );
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

/** An index name from a table name (without its schema) and a suffix. */
function indexName(table: string, suffix: string): string {
  return `${table.slice(table.lastIndexOf(".") + 1)}_${suffix}`;
}

function initial(tables: Required<KyselyTableNames>): Migration {
  const { users, tokens, sessions, revocations, revokedFamilies } = tables;
  return {
    async up(db) {
      await db.schema
        .createTable(users)
        .ifNotExists()
        .addColumn("id", "text", (column) => column.primaryKey().notNull())
        .addColumn("username", "text", (column) => column.notNull().unique())
        .addColumn("password_hash", "text")
        .addColumn("is_active", "integer", (column) => column.notNull().defaultTo(1))
        .addColumn("last_login", "bigint")
        .addColumn("created_at", "bigint", (column) => column.notNull())
        .addColumn("data", "text", (column) => column.notNull())
        .execute();

      await db.schema
        .createTable(tokens)
        .ifNotExists()
        .addColumn("digest", "text", (column) => column.primaryKey().notNull())
        .addColumn("user_id", "text", (column) => column.notNull())
        .addColumn("name", "text")
        .addColumn("created_at", "bigint", (column) => column.notNull())
        .addColumn("expires_at", "bigint")
        .addColumn("last_used_at", "bigint")
        .execute();
      await createIndex(db, tokens, "user_id_idx", ["user_id", "created_at"]);

      await db.schema
        .createTable(sessions)
        .ifNotExists()
        .addColumn("id_digest", "text", (column) => column.primaryKey().notNull())
        .addColumn("user_id", "text", (column) => column.notNull())
        .addColumn("created_at", "bigint", (column) => column.notNull())
        .addColumn("expires_at", "bigint", (column) => column.notNull())
        .addColumn("absolute_expires_at", "bigint", (column) => column.notNull())
        .addColumn("data", "text", (column) => column.notNull())
        .execute();
      await createIndex(db, sessions, "user_id_idx", ["user_id"]);
      await createIndex(db, sessions, "expires_at_idx", ["expires_at"]);

      // One row per jti (docs/revocation.md): recorded (outstanding), revoked, consumed.
      await db.schema
        .createTable(revocations)
        .ifNotExists()
        .addColumn("jti", "text", (column) => column.primaryKey().notNull())
        .addColumn("user_id", "text")
        .addColumn("family_id", "text")
        .addColumn("expires_at", "bigint", (column) => column.notNull())
        .addColumn("recorded", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("revoked", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("consumed", "integer", (column) => column.notNull().defaultTo(0))
        .execute();
      await createIndex(db, revocations, "user_id_idx", ["user_id"]);
      await createIndex(db, revocations, "family_id_idx", ["family_id"]);
      await createIndex(db, revocations, "expires_at_idx", ["expires_at"]);

      await db.schema
        .createTable(revokedFamilies)
        .ifNotExists()
        .addColumn("family_id", "text", (column) => column.primaryKey().notNull())
        .addColumn("expires_at", "bigint", (column) => column.notNull())
        .execute();
    },

    async down(db) {
      for (const table of [revokedFamilies, revocations, sessions, tokens, users]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

async function createIndex(db: AnyKysely, table: string, suffix: string, columns: string[]): Promise<void> {
  await db.schema.createIndex(indexName(table, suffix)).ifNotExists().on(table).columns(columns).execute();
}

/**
 * When each jti was consumed (`RevocationStore.consumedAt`, for the refresh grace window): a nullable
 * column, so it adds in place to a populated table on SQLite and PostgreSQL; rows consumed before it
 * keep NULL, which the store reads as "long ago".
 */
function revocationConsumedAt(tables: Required<KyselyTableNames>): Migration {
  const { revocations } = tables;
  return {
    async up(db) {
      if (isPostgres(db)) {
        await db.schema
          .alterTable(revocations)
          .addColumn("consumed_at", "bigint", (column) => column.ifNotExists())
          .execute();
        return;
      }
      // SQLite has no ADD COLUMN IF NOT EXISTS: a run whose bookkeeping was lost, or one that raced another
      // connection, finds the column there already.
      try {
        await db.schema.alterTable(revocations).addColumn("consumed_at", "bigint").execute();
      } catch (error) {
        if (!(await hasColumn(db, revocations, "consumed_at"))) throw error;
      }
    },

    async down(db) {
      await db.schema.alterTable(revocations).dropColumn("consumed_at").execute();
    },
  };
}

/**
 * The throttle store's table (issue 19): one row per recorded hit, found by the key's digest and time,
 * and pruned by `expires_at`. A new table, so it adds to a populated database as it is. The id is the
 * row's key on each database's own terms: SQLite's rowid, a PostgreSQL sequence.
 */
function throttles(tables: Required<KyselyTableNames>): Migration {
  const { throttles } = tables;
  return {
    async up(db) {
      await db.schema
        .createTable(throttles)
        .ifNotExists()
        .addColumn("id", isPostgres(db) ? "bigserial" : "integer", (column) => column.primaryKey())
        .addColumn("key_digest", "text", (column) => column.notNull())
        .addColumn("hit_at", "bigint", (column) => column.notNull())
        .addColumn("expires_at", "bigint", (column) => column.notNull())
        .execute();
      await createIndex(db, throttles, "key_idx", ["key_digest", "hit_at"]);
      await createIndex(db, throttles, "expires_at_idx", ["expires_at"]);
    },

    async down(db) {
      await db.schema.dropTable(throttles).ifExists().execute();
    },
  };
}

/**
 * Django's `is_staff` and `is_superuser` on the users table (issue 19: `IsAdminUser`): NOT NULL with a
 * default of 0, so they add in place to a populated table; existing users are neither.
 */
function userStaff(tables: Required<KyselyTableNames>): Migration {
  const { users } = tables;
  const columns = ["is_staff", "is_superuser"] as const;
  return {
    async up(db) {
      for (const column of columns) {
        if (isPostgres(db)) {
          await db.schema
            .alterTable(users)
            .addColumn(column, "integer", (c) => c.notNull().defaultTo(0).ifNotExists())
            .execute();
          continue;
        }
        // SQLite has no ADD COLUMN IF NOT EXISTS (see revocationConsumedAt).
        try {
          await db.schema
            .alterTable(users)
            .addColumn(column, "integer", (c) => c.notNull().defaultTo(0))
            .execute();
        } catch (error) {
          if (!(await hasColumn(db, users, column))) throw error;
        }
      }
    },

    async down(db) {
      for (const column of columns) await db.schema.alterTable(users).dropColumn(column).execute();
    },
  };
}

/** Whether `column` can be selected from `table` (SQLite: a failed statement leaves the transaction usable). */
async function hasColumn(db: AnyKysely, table: string, column: string): Promise<boolean> {
  try {
    await db.selectFrom(table).select(column).limit(0).execute();
    return true;
  } catch {
    return false;
  }
}
