/**
 * What the Kysely stores share: table names, the options every store takes, and the column encodings
 * (epoch milliseconds for times, 0/1 for flags) that read the same on SQLite and PostgreSQL.
 */
import type { Kysely } from "kysely";

/**
 * Any Kysely instance: the stores name their tables at run time, so they cannot use the caller's
 * database interface. A `Kysely<YourDatabase>` is one.
 *
 * @example
 * ```ts
 * const db: AnyKysely = new Kysely<AppDatabase>({ dialect });
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: Kysely's own spelling for "a database of unknown tables".
export type AnyKysely = Kysely<any>;

/**
 * The names of the tables the Kysely stores use; each is optional and defaults to its `portcullis_…`
 * name. Pass the same object to every store and to {@link migrateToLatest}.
 *
 * @example
 * ```ts
 * const tables: KyselyTableNames = { users: "auth_users", tokens: "auth_tokens" };
 * await migrateToLatest(db, { tables });
 * const users = new KyselyUserStore({ db, tables });
 * const tokens = new KyselyTokenStore({ db, tables });
 * ```
 */
export interface KyselyTableNames {
  /** {@link KyselyUserStore}'s table; default `portcullis_users`. */
  users?: string;
  /** {@link KyselyTokenStore}'s table; default `portcullis_tokens`. */
  tokens?: string;
  /** {@link KyselySessionStore}'s table; default `portcullis_sessions`. */
  sessions?: string;
  /** {@link KyselyRevocationStore}'s table, one row per jti; default `portcullis_revocations`. */
  revocations?: string;
  /** {@link KyselyRevocationStore}'s revoked-family tombstones; default `portcullis_revoked_families`. */
  revokedFamilies?: string;
  /** {@link KyselyThrottleStore}'s table, one row per recorded hit; default `portcullis_throttles`. */
  throttles?: string;
}

/**
 * The default table names.
 *
 * @example
 * ```ts
 * DEFAULT_TABLE_NAMES.tokens; // "portcullis_tokens"
 * ```
 */
export const DEFAULT_TABLE_NAMES: Readonly<Required<KyselyTableNames>> = Object.freeze({
  users: "portcullis_users",
  tokens: "portcullis_tokens",
  sessions: "portcullis_sessions",
  revocations: "portcullis_revocations",
  revokedFamilies: "portcullis_revoked_families",
  throttles: "portcullis_throttles",
});

/**
 * What every Kysely store is built from.
 *
 * @example
 * ```ts
 * const db = new Kysely({ dialect: new SqliteDialect({ database: new Database("auth.db") }) });
 * const options: KyselyStoreOptions = { db, tables: { tokens: "api_tokens" } };
 * const tokens = new KyselyTokenStore(options);
 * ```
 */
export interface KyselyStoreOptions {
  /**
   * A Kysely instance on SQLite (better-sqlite3) or PostgreSQL (pg). The store never closes it. A
   * `db.withSchema("auth")` instance puts the tables in that PostgreSQL schema.
   */
  db: AnyKysely;
  /** Table names, where they differ from the defaults. */
  tables?: KyselyTableNames;
}

/** The table names with defaults filled in, checked. @internal */
export function resolveTables(tables: KyselyTableNames | undefined): Required<KyselyTableNames> {
  const resolved = { ...DEFAULT_TABLE_NAMES };
  for (const key of Object.keys(DEFAULT_TABLE_NAMES) as (keyof KyselyTableNames)[]) {
    const name = tables?.[key];
    if (name === undefined) continue;
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`Kysely stores: tables.${key} must be a non-empty string.`);
    }
    resolved[key] = name;
  }
  return resolved;
}

/** Checks the `db` option. @internal */
export function checkDb(options: KyselyStoreOptions | undefined, store: string): AnyKysely {
  const db = options?.db as unknown;
  if (typeof db !== "object" || db === null || typeof (db as AnyKysely).selectFrom !== "function") {
    throw new TypeError(`${store}: options.db must be a Kysely instance.`);
  }
  return db as AnyKysely;
}

/** A Date as epoch milliseconds, after checking it is a valid Date. @internal */
export function toMillis(value: unknown, what: string): number {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`${what} must be a valid Date.`);
  }
  return value.getTime();
}

/**
 * Epoch milliseconds as a driver returns them: a number (better-sqlite3), a string (pg returns `bigint`
 * as text), or a bigint. @internal
 */
export function millis(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" || typeof value === "bigint") return Number(value);
  throw new TypeError(`Kysely stores: expected epoch milliseconds, got ${typeof value}.`);
}

/** A stored time as a Date. @internal */
export function toDate(value: unknown): Date {
  return new Date(millis(value));
}

/** A nullable stored time as a Date or null. @internal */
export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** A row count (Kysely reports bigints) as a number. @internal */
export function count(value: bigint | number | undefined): number {
  return value === undefined ? 0 : Number(value);
}
