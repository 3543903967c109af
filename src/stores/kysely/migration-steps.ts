/**
 * The migrations themselves, one function per step: what each adds to the tables of the Kysely stores.
 * @internal
 */
import { type Migration, PostgresIntrospector } from "kysely";
import type { AnyKysely, KyselyTableNames } from "./tables.js";

/** Whether `db` is on PostgreSQL: by its introspector (by name too: a second copy of kysely has its own class). */
export function isPostgres(db: AnyKysely): boolean {
  const introspector = db.introspection as object;
  return (
    introspector instanceof PostgresIntrospector || introspector.constructor?.name === "PostgresIntrospector"
  );
}

/** An index name from a table name (without its schema) and a suffix. */
function indexName(table: string, suffix: string): string {
  return `${table.slice(table.lastIndexOf(".") + 1)}_${suffix}`;
}

export function initial(tables: Required<KyselyTableNames>): Migration {
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
export function revocationConsumedAt(tables: Required<KyselyTableNames>): Migration {
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
export function throttles(tables: Required<KyselyTableNames>): Migration {
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
export function userStaff(tables: Required<KyselyTableNames>): Migration {
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
