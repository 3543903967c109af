/**
 * portcullis/kysely: the user, token, session, revocation and throttle stores over SQL through Kysely, on SQLite
 * (better-sqlite3) and PostgreSQL (pg), with their migrations. `kysely` is an optional peer dependency;
 * the driver is whichever dialect you give Kysely.
 *
 * @example
 * ```ts
 * import Database from "better-sqlite3";
 * import { Kysely } from "kysely";
 * import { KyselyTokenStore, KyselyUserStore, migrateToLatest, PreparedSqliteDialect } from "portcullis/kysely";
 *
 * // PreparedSqliteDialect / PreparedPostgresDialect: Kysely's dialects with prepared statements (or use Kysely's own)
 * const db = new Kysely({ dialect: new PreparedSqliteDialect({ database: new Database("auth.db") }) });
 * await migrateToLatest(db);
 * const users = new KyselyUserStore({ db });
 * const tokens = new KyselyTokenStore({ db });
 * ```
 *
 * @packageDocumentation
 */

export type { MigrateOptions } from "./migrations.js";
export { migrateToLatest, PORTCULLIS_MIGRATION_TABLES, PortcullisMigrationProvider } from "./migrations.js";
export { PreparedPostgresDialect } from "./postgres-dialect.js";
export { KyselyRevocationStore } from "./revocations.js";
export { KyselySessionStore } from "./sessions.js";
export type { PreparedSqliteDialectConfig } from "./sqlite-dialect.js";
export { PreparedSqliteDialect } from "./sqlite-dialect.js";
export type { AnyKysely, KyselyStoreOptions, KyselyTableNames } from "./tables.js";
export { DEFAULT_TABLE_NAMES } from "./tables.js";
export { KyselyThrottleStore } from "./throttle.js";
export { KyselyTokenStore } from "./tokens.js";
export { isConnectionError } from "./unavailable.js";
export type { KyselyUserRow, KyselyUserStoreOptions } from "./users.js";
export { KyselyUserStore } from "./users.js";
