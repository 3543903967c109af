/**
 * The Kysely token store.
 */
import { SqliteAdapter, sql } from "kysely";
import type { TokenRecord, TokenStore, TokenTouch } from "../types.js";
import { HotQuery } from "./hot-query.js";
import {
  type AnyKysely,
  checkDb,
  count,
  type KyselyStoreOptions,
  resolveTables,
  toDate,
  toDateOrNull,
  toMillis,
} from "./tables.js";
import { guarded, retried } from "./unavailable.js";

const STORE = "tokens";

/**
 * A {@link TokenStore} over a SQL table through Kysely, on SQLite or PostgreSQL: one row per token,
 * keyed by its SHA-256 digest (the token itself is never stored), indexed by user. Times are kept to
 * the millisecond. Create the table with {@link migrateToLatest}.
 *
 * A store that cannot reach its database throws `StoreUnavailable` (the adapters answer 503, never
 * anonymous); a duplicate digest throws the driver's primary-key error unchanged.
 *
 * @example
 * ```ts
 * import { TokenAuthentication } from "portcullis";
 * import { KyselyTokenStore, KyselyUserStore } from "portcullis/kysely";
 *
 * const tokenAuth = new TokenAuthentication({
 *   tokens: new KyselyTokenStore({ db }),
 *   users: new KyselyUserStore({ db }),
 *   ttl: "30d",
 * });
 * ```
 */
export class KyselyTokenStore implements TokenStore {
  readonly #db: AnyKysely;
  readonly #table: string;
  readonly #byDigest: HotQuery;
  #postgres: boolean | undefined;

  /**
   * @param options - the Kysely instance and, optionally, table names
   */
  constructor(options: KyselyStoreOptions) {
    this.#db = checkDb(options, "KyselyTokenStore");
    this.#table = resolveTables(options.tables).tokens;
    this.#byDigest = new HotQuery(
      STORE,
      this.#db,
      // The columns by name, not `*`: what a read answers never depends on the table's shape.
      this.#db.selectFrom(this.#table).select(TOKEN_COLUMNS).where("digest", "=", ""),
    );
  }

  /** @inheritDoc */
  async save(record: TokenRecord): Promise<void> {
    const row = toRow(record);
    await guarded(STORE, () => this.#db.insertInto(this.#table).values(row).execute());
  }

  // One `INSERT … SELECT … WHERE (SELECT count(*) …) < limit`. SQLite runs a writing statement under its
  // write lock, so the count and the insert cannot interleave with another writer's. PostgreSQL's READ
  // COMMITTED would let two such statements count the same rows, so there the statement runs in a
  // transaction after `pg_advisory_xact_lock` on (table, user): logins of one user queue, others do not.
  /** @inheritDoc */
  async saveWithinLimit(record: TokenRecord, limit: number): Promise<boolean> {
    const row = toRow(record);
    const table = this.#table;
    const insert = (db: AnyKysely) =>
      db
        .insertInto(table)
        .columns([...TOKEN_COLUMNS])
        .expression(
          db
            .selectNoFrom([
              sql<string>`cast(${row.digest} as text)`.as("digest"),
              sql<string>`cast(${row.user_id} as text)`.as("user_id"),
              sql<string | null>`cast(${row.name} as text)`.as("name"),
              sql<number>`cast(${row.created_at} as bigint)`.as("created_at"),
              sql<number | null>`cast(${row.expires_at} as bigint)`.as("expires_at"),
              sql<number | null>`cast(${row.last_used_at} as bigint)`.as("last_used_at"),
            ])
            .where((eb) =>
              eb(
                eb
                  .selectFrom(table)
                  .select((count) => count.fn.countAll().as("live"))
                  .where("user_id", "=", row.user_id)
                  .where((live) =>
                    live.or([live("expires_at", "is", null), live("expires_at", ">", row.created_at)]),
                  ),
                "<",
                limit,
              ),
            ),
        )
        .executeTakeFirst();
    const locked = async (trx: AnyKysely) => {
      await sql`select pg_advisory_xact_lock(hashtext(${table}), hashtext(${row.user_id}))`.execute(trx);
      return insert(trx);
    };
    this.#postgres ??= !isSqlite(this.#db);
    const postgres = this.#postgres;
    const db = this.#db;
    // A store built on a transaction (`{ db: trx }`) runs inside it: the lock lasts until that one ends.
    const inTransaction = () => (db.isTransaction ? locked(db) : db.transaction().execute(locked));
    const result = await guarded(STORE, () => retried(() => (postgres ? inTransaction() : insert(db))));
    return count(result.numInsertedOrUpdatedRows) > 0;
  }

  /** @inheritDoc */
  findByDigest(digest: string): Promise<TokenRecord | null> {
    return this.#byDigest.first([digest], toRecordOrNull);
  }

  /** @inheritDoc */
  async delete(digest: string): Promise<boolean> {
    const result = await guarded(STORE, () =>
      this.#db.deleteFrom(this.#table).where("digest", "=", digest).executeTakeFirst(),
    );
    return count(result.numDeletedRows) > 0;
  }

  /** @inheritDoc */
  async deleteForUser(userId: string): Promise<number> {
    const result = await guarded(STORE, () =>
      this.#db.deleteFrom(this.#table).where("user_id", "=", userId).executeTakeFirst(),
    );
    return count(result.numDeletedRows);
  }

  /** @inheritDoc */
  async listForUser(userId: string): Promise<TokenRecord[]> {
    const rows = await guarded(STORE, () =>
      this.#db
        .selectFrom(this.#table)
        .selectAll()
        .where("user_id", "=", userId)
        .orderBy("created_at")
        .orderBy("digest")
        .execute(),
    );
    return rows.map(toRecord);
  }

  /** @inheritDoc */
  async touch(digest: string, changes: TokenTouch): Promise<void> {
    const values: Record<string, number | null> = {};
    if (changes.lastUsedAt !== undefined) {
      values.last_used_at = toMillis(changes.lastUsedAt, "KyselyTokenStore: lastUsedAt");
    }
    if (changes.expiresAt !== undefined) {
      values.expires_at =
        changes.expiresAt === null ? null : toMillis(changes.expiresAt, "KyselyTokenStore: expiresAt");
    }
    if (Object.keys(values).length === 0) return;
    await guarded(STORE, () =>
      this.#db.updateTable(this.#table).set(values).where("digest", "=", digest).execute(),
    );
  }
}

const TOKEN_COLUMNS = ["digest", "user_id", "name", "created_at", "expires_at", "last_used_at"] as const;

function toRow(record: TokenRecord) {
  return {
    digest: record.digest,
    user_id: record.userId,
    name: record.name,
    created_at: toMillis(record.createdAt, "KyselyTokenStore: createdAt"),
    expires_at: record.expiresAt === null ? null : toMillis(record.expiresAt, "KyselyTokenStore: expiresAt"),
    last_used_at:
      record.lastUsedAt === null ? null : toMillis(record.lastUsedAt, "KyselyTokenStore: lastUsedAt"),
  };
}

// Kysely's SQLite adapter, also when another copy of kysely made it; every other dialect is taken for
// PostgreSQL, the only other database these stores support.
function isSqlite(db: AnyKysely): boolean {
  const adapter = db.getExecutor().adapter;
  return adapter instanceof SqliteAdapter || adapter.constructor.name === "SqliteAdapter";
}

function toRecordOrNull(row: Record<string, unknown> | undefined): TokenRecord | null {
  return row === undefined ? null : toRecord(row);
}

function toRecord(row: Record<string, unknown>): TokenRecord {
  return {
    digest: row.digest as string,
    userId: row.user_id as string,
    name: (row.name as string | null) ?? null,
    createdAt: toDate(row.created_at),
    expiresAt: toDateOrNull(row.expires_at),
    lastUsedAt: toDateOrNull(row.last_used_at),
  };
}
