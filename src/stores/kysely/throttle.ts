/**
 * The Kysely throttle store.
 */
import { SqliteAdapter, sql } from "kysely";
import { tokenDigest } from "../../core/digest.js";
import { checkKey, checkThrottleArguments } from "../keys.js";
import type { ThrottleState, ThrottleStore } from "../types.js";
import { type AnyKysely, checkDb, count, type KyselyStoreOptions, millis, resolveTables } from "./tables.js";
import { guarded, retried } from "./unavailable.js";

const STORE = "throttles";
const NAME = "KyselyThrottleStore";

/** How often (in the callers' clock) one store deletes other keys' rows that left their window. */
const PRUNE_EVERY_MS = 60_000;
/** Rows deleted by one statement of a prune, so a backlog never holds a hit up for long. */
const PRUNE_BATCH = 1_000;

/**
 * A {@link ThrottleStore} over a SQL table through Kysely, on SQLite or PostgreSQL, shared by every
 * instance of the app: one row per recorded hit (the key's SHA-256, so a key of any length fits the
 * index; its time; when it leaves its window). Create the table with {@link migrateToLatest}.
 *
 * `hit` runs in one transaction that deletes the key's rows at or before `now - windowMs`, counts the
 * rest and inserts `now` when fewer than `limit` remain. On PostgreSQL the transaction first takes
 * `pg_advisory_xact_lock` on the table and key, so the hits of one key queue (on any number of
 * instances) and other keys' do not; on SQLite its first statement is a write, which takes the
 * database's write lock until the commit. N parallel hits against a limit of k record exactly k.
 * Other keys' rows are deleted once they leave their window, in batches, by one hit a minute per store
 * (or by {@link KyselyThrottleStore.prune} from a scheduled job), so idle keys do not pile up. Times
 * are the caller's `now`, never the database's clock.
 *
 * A store that cannot reach its database throws `StoreUnavailable`: a throttle answers 503, never
 * "allow all".
 *
 * @example
 * ```ts
 * import { KyselyThrottleStore, migrateToLatest } from "portcullis/kysely";
 *
 * await migrateToLatest(db);
 * const throttles = new KyselyThrottleStore({ db });
 * const { allowed } = await throttles.hit("throttle_user_42", 1_000, 86_400_000, Date.now());
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/
 */
export class KyselyThrottleStore implements ThrottleStore {
  readonly #db: AnyKysely;
  readonly #table: string;
  #postgres: boolean | undefined;
  #pruneAt = Number.NEGATIVE_INFINITY;

  /**
   * @param options - the Kysely instance and, optionally, table names (`throttles`)
   */
  constructor(options: KyselyStoreOptions) {
    this.#db = checkDb(options, NAME);
    this.#table = resolveTables(options.tables).throttles;
  }

  /** @inheritDoc */
  async hit(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState> {
    checkThrottleArguments(NAME, key, limit, windowMs, now);
    const digest = await tokenDigest(key);
    const table = this.#table;
    const step = async (db: AnyKysely): Promise<ThrottleState> => {
      await this.#lock(db, digest);
      // The first statement writes: on SQLite it takes the write lock before anything is read.
      await db
        .deleteFrom(table)
        .where("key_digest", "=", digest)
        .where("hit_at", "<=", now - windowMs)
        .execute();
      const { n, oldest } = await this.#window(db, digest, now - windowMs);
      if (n >= limit) return { allowed: false, count: n, oldest };
      await db
        .insertInto(table)
        .values({ key_digest: digest, hit_at: now, expires_at: now + windowMs })
        .execute();
      return { allowed: true, count: n + 1, oldest: oldest === null ? now : Math.min(oldest, now) };
    };
    await this.#pruneNowAndThen(now);
    return guarded(STORE, () => retried(() => this.#inTransaction(step)));
  }

  /** @inheritDoc */
  async peek(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState> {
    checkThrottleArguments(NAME, key, limit, windowMs, now);
    const digest = await tokenDigest(key);
    const { n, oldest } = await guarded(STORE, () => this.#window(this.#db, digest, now - windowMs));
    return { allowed: n < limit, count: n, oldest };
  }

  /** @inheritDoc */
  async reset(key: string): Promise<void> {
    checkKey(key, `${NAME}: key`);
    const digest = await tokenDigest(key);
    await guarded(STORE, () =>
      retried(() =>
        this.#inTransaction(async (db) => {
          await this.#lock(db, digest);
          await db.deleteFrom(this.#table).where("key_digest", "=", digest).execute();
        }),
      ),
    );
  }

  /**
   * Deletes every row that has left its window, whatever its key. Hits already do this now and then;
   * call it from a scheduled job to keep the table small between bursts.
   *
   * @param now - the current time in epoch ms (default: `Date.now()`)
   * @returns how many rows were deleted
   * @example
   * ```ts
   * setInterval(() => void throttles.prune(), 3_600_000).unref();
   * ```
   */
  async prune(now: number = Date.now()): Promise<number> {
    if (!Number.isSafeInteger(now)) throw new TypeError(`${NAME}: now must be an integer (epoch ms).`);
    let total = 0;
    for (;;) {
      const deleted = await this.#pruneBatch(now);
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }

  /** One batch of {@link KyselyThrottleStore.prune} per minute of the callers' clock, another soon when it was full. */
  async #pruneNowAndThen(now: number): Promise<void> {
    if (now < this.#pruneAt) return;
    this.#pruneAt = now + PRUNE_EVERY_MS; // set first: the parallel hits of a burst do not all prune
    if ((await this.#pruneBatch(now)) === PRUNE_BATCH) this.#pruneAt = now;
  }

  async #pruneBatch(now: number): Promise<number> {
    const table = this.#table;
    const result = await guarded(STORE, () =>
      retried(() =>
        this.#db
          .deleteFrom(table)
          .where((eb) =>
            eb(
              "id",
              "in",
              eb.selectFrom(table).select("id").where("expires_at", "<=", now).limit(PRUNE_BATCH),
            ),
          )
          .executeTakeFirst(),
      ),
    );
    return count(result.numDeletedRows);
  }

  /** How many rows of the key are after `after` (in its window), and the earliest of them. */
  async #window(db: AnyKysely, digest: string, after: number): Promise<{ n: number; oldest: number | null }> {
    const row = await db
      .selectFrom(this.#table)
      .select((eb) => [eb.fn.countAll().as("n"), eb.fn.min("hit_at").as("oldest")])
      .where("key_digest", "=", digest)
      .where("hit_at", ">", after)
      .executeTakeFirst();
    const oldest = row?.oldest;
    return {
      n: Number(row?.n ?? 0),
      oldest: oldest === null || oldest === undefined ? null : millis(oldest),
    };
  }

  // PostgreSQL's READ COMMITTED would let two transactions count the same rows: the hits of one key
  // queue on an advisory lock instead (released at commit), as KyselyTokenStore.saveWithinLimit does.
  async #lock(db: AnyKysely, digest: string): Promise<void> {
    this.#postgres ??= !isSqlite(this.#db);
    if (!this.#postgres) return;
    await sql`select pg_advisory_xact_lock(hashtext(${this.#table}), hashtext(${digest}))`.execute(db);
  }

  // A store built on a transaction (`{ db: trx }`) runs inside it: the lock lasts until that one ends.
  #inTransaction<T>(body: (trx: AnyKysely) => Promise<T>): Promise<T> {
    return this.#db.isTransaction ? body(this.#db) : this.#db.transaction().execute(body);
  }
}

// Kysely's SQLite adapter, also when another copy of kysely made it; every other dialect is taken for
// PostgreSQL, the only other database these stores support.
function isSqlite(db: AnyKysely): boolean {
  const adapter = db.getExecutor().adapter;
  return adapter instanceof SqliteAdapter || adapter.constructor.name === "SqliteAdapter";
}
