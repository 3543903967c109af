/**
 * The Kysely session store.
 */
import type { SessionRecord, SessionStore } from "../types.js";
import {
  type AnyKysely,
  checkDb,
  count,
  type KyselyStoreOptions,
  resolveTables,
  toDate,
  toMillis,
} from "./tables.js";
import { guarded } from "./unavailable.js";

const STORE = "sessions";

/**
 * A {@link SessionStore} over a SQL table through Kysely, on SQLite or PostgreSQL, shared by every
 * instance of the app: one row per session, keyed by the SHA-256 digest of the session id (the id in
 * the cookie is never stored), indexed by user and by idle expiry; `data` is kept as JSON text, so it
 * must be JSON-serialisable. Create the table with {@link migrateToLatest}; delete expired rows with
 * {@link KyselySessionStore.prune} from a scheduled job (Django's `clearsessions`).
 *
 * A store that cannot reach its database throws `StoreUnavailable` (the adapters answer 503, never
 * anonymous); a duplicate digest throws the driver's primary-key error unchanged.
 *
 * @example
 * ```ts
 * import { SessionManager } from "portcullis";
 * import { KyselySessionStore } from "portcullis/kysely";
 *
 * const store = new KyselySessionStore({ db });
 * const sessions = new SessionManager({ store, users });
 * setInterval(() => void store.prune(), 3_600_000).unref();
 * ```
 */
export class KyselySessionStore implements SessionStore {
  readonly #db: AnyKysely;
  readonly #table: string;

  /**
   * @param options - the Kysely instance and, optionally, table names
   */
  constructor(options: KyselyStoreOptions) {
    this.#db = checkDb(options, "KyselySessionStore");
    this.#table = resolveTables(options.tables).sessions;
  }

  /** @inheritDoc */
  async create(record: SessionRecord): Promise<void> {
    const row = {
      id_digest: record.idDigest,
      user_id: record.userId,
      created_at: toMillis(record.createdAt, "KyselySessionStore: createdAt"),
      expires_at: toMillis(record.expiresAt, "KyselySessionStore: expiresAt"),
      absolute_expires_at: toMillis(record.absoluteExpiresAt, "KyselySessionStore: absoluteExpiresAt"),
      data: JSON.stringify(record.data),
    };
    await guarded(STORE, () => this.#db.insertInto(this.#table).values(row).execute());
  }

  /** @inheritDoc */
  async get(idDigest: string): Promise<SessionRecord | null> {
    const row = await guarded(STORE, () =>
      this.#db.selectFrom(this.#table).selectAll().where("id_digest", "=", idDigest).executeTakeFirst(),
    );
    if (row === undefined) return null;
    return {
      idDigest: row.id_digest as string,
      userId: row.user_id as string,
      createdAt: toDate(row.created_at),
      expiresAt: toDate(row.expires_at),
      absoluteExpiresAt: toDate(row.absolute_expires_at),
      data: JSON.parse(row.data as string) as Record<string, unknown>,
    };
  }

  /** @inheritDoc */
  async touch(idDigest: string, expiresAt: Date): Promise<void> {
    const expires = toMillis(expiresAt, "KyselySessionStore: expiresAt");
    await guarded(STORE, () =>
      this.#db
        .updateTable(this.#table)
        .set({ expires_at: expires })
        .where("id_digest", "=", idDigest)
        .execute(),
    );
  }

  /** @inheritDoc */
  async delete(idDigest: string): Promise<boolean> {
    const result = await guarded(STORE, () =>
      this.#db.deleteFrom(this.#table).where("id_digest", "=", idDigest).executeTakeFirst(),
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

  /**
   * Deletes every session whose idle or absolute expiry is at or before `now`.
   *
   * @param now - the current time (default: now)
   * @returns how many sessions were deleted
   * @example
   * ```ts
   * setInterval(() => void store.prune(), 3_600_000).unref();
   * ```
   */
  async prune(now: Date = new Date()): Promise<number> {
    const at = toMillis(now, "KyselySessionStore: now");
    const result = await guarded(STORE, () =>
      this.#db
        .deleteFrom(this.#table)
        .where((eb) => eb.or([eb("expires_at", "<=", at), eb("absolute_expires_at", "<=", at)]))
        .executeTakeFirst(),
    );
    return count(result.numDeletedRows);
  }
}
