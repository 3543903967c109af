/**
 * The Kysely revocation store.
 */
import { type Expression, type SqlBool, sql } from "kysely";
import { checkKey, optionalKey } from "../keys.js";
import type { OutstandingToken, RevocationStore } from "../types.js";
import { type Builder, later, one, unrecorded } from "./revocation-sql.js";
import {
  type AnyKysely,
  checkDb,
  count,
  type KyselyStoreOptions,
  millis,
  resolveTables,
  toDate,
  toMillis,
} from "./tables.js";
import { guarded, retried } from "./unavailable.js";

const STORE = "revocations";
const NAME = "KyselyRevocationStore";

/**
 * A {@link RevocationStore} over two SQL tables through Kysely, on SQLite or PostgreSQL, shared by every
 * instance of the app: one row per jti (recorded, revoked and consumed flags, when it was consumed,
 * owner, family, expiry; indexed by user, family and expiry) and one tombstone per revoked family, as docs/revocation.md
 * describes. Create them with {@link migrateToLatest}; run {@link KyselyRevocationStore.flushExpired}
 * from a scheduled job.
 *
 * Every decision is one statement, never a read followed by a write: `consume` and `revoke` are an
 * `INSERT … ON CONFLICT DO UPDATE … WHERE` whose `RETURNING` row is the answer, so of 50 concurrent
 * `consume` calls on one jti, on any number of instances, exactly one gets `true` (PostgreSQL re-checks
 * the `WHERE` on the row a concurrent transaction changed; SQLite serialises writers). `isRevoked` and
 * `consume` also consult the family tombstones, so a token recorded while its family is being revoked
 * cannot slip through.
 *
 * A store that cannot reach its database throws `StoreUnavailable`: the refresh and verify endpoints
 * answer 503, never "not revoked".
 *
 * @example
 * ```ts
 * import { JWTService } from "portcullis";
 * import { KyselyRevocationStore } from "portcullis/kysely";
 *
 * const revocations = new KyselyRevocationStore({ db });
 * const jwt = new JWTService({ signingKey, rotateRefreshTokens: true, blacklistAfterRotation: true, revocations });
 * setInterval(() => void revocations.flushExpired(), 3_600_000).unref();
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export class KyselyRevocationStore implements RevocationStore {
  readonly #db: AnyKysely;
  readonly #rows: string;
  readonly #families: string;

  /**
   * @param options - the Kysely instance and, optionally, table names (`revocations`, `revokedFamilies`)
   */
  constructor(options: KyselyStoreOptions) {
    this.#db = checkDb(options, NAME);
    const tables = resolveTables(options.tables);
    this.#rows = tables.revocations;
    this.#families = tables.revokedFamilies;
  }

  /** @inheritDoc */
  async recordOutstanding(token: OutstandingToken): Promise<void> {
    if (typeof token !== "object" || token === null) {
      throw new TypeError(`${NAME}: the token must be an OutstandingToken object.`);
    }
    checkKey(token.jti, `${NAME}: jti`);
    const expiresAt = toMillis(token.expiresAt, `${NAME}: expiresAt`);
    const userId = optionalKey(token.userId, `${NAME}: userId`);
    const familyId = optionalKey(token.familyId, `${NAME}: familyId`);
    await guarded(STORE, async () => {
      // The first record wins; a row revoked or consumed before it was recorded takes the owner and family.
      const recorded = await this.#db
        .insertInto(this.#rows)
        .values((eb: Builder) => ({
          jti: token.jti,
          user_id: userId,
          family_id: familyId,
          expires_at: expiresAt,
          recorded: 1,
          // Revoked on arrival when its family already is.
          revoked:
            familyId === null
              ? 0
              : eb
                  .case()
                  .when(
                    eb.exists(eb.selectFrom(this.#families).select(one).where("family_id", "=", familyId)),
                  )
                  .then(1)
                  .else(0)
                  .end(),
          consumed: 0,
        }))
        .onConflict((conflict) =>
          conflict
            .column("jti")
            .doUpdateSet({
              user_id: sql.ref("excluded.user_id"),
              family_id: sql.ref("excluded.family_id"),
              recorded: 1,
              revoked: sql<number>`case when ${sql.ref(`${this.#rows}.revoked`)} = 1 then 1 else excluded.revoked end`,
              expires_at: later(this.#rows),
            })
            .where(`${this.#rows}.recorded`, "=", 0),
        )
        .returning(["revoked", "expires_at"])
        .executeTakeFirst();
      if (recorded === undefined || familyId === null || Number(recorded.revoked) !== 1) return;
      // Revoked on arrival by its family: the tombstone lives as long as the family's latest token.
      const rowExpiry = millis(recorded.expires_at);
      await this.#db
        .updateTable(this.#families)
        .set({ expires_at: rowExpiry })
        .where("family_id", "=", familyId)
        .where("expires_at", "<", rowExpiry)
        .execute();
    });
  }

  /** @inheritDoc */
  async isRevoked(jti: string): Promise<boolean> {
    checkKey(jti, `${NAME}: jti`);
    const row = await guarded(STORE, () =>
      this.#db
        .selectFrom(this.#rows)
        .select("jti")
        .where("jti", "=", jti)
        .where((eb) => eb.or([eb("revoked", "=", 1), this.#familyRevoked(eb)]))
        .executeTakeFirst(),
    );
    return row !== undefined;
  }

  /** @inheritDoc */
  async revoke(jti: string, expiresAt: Date): Promise<boolean> {
    checkKey(jti, `${NAME}: jti`);
    const expiry = toMillis(expiresAt, `${NAME}: expiresAt`);
    return guarded(STORE, async () => {
      const revoked = await this.#db
        .insertInto(this.#rows)
        .values(unrecorded(jti, expiry, { revoked: 1 }))
        .onConflict((conflict) =>
          conflict
            .column("jti")
            .doUpdateSet({ revoked: 1, expires_at: later(this.#rows) })
            .where(`${this.#rows}.revoked`, "=", 0),
        )
        .returning("jti")
        .executeTakeFirst();
      if (revoked !== undefined) return true;
      // Already revoked: the answer is decided; only keep the row until the latest expiry it was given.
      await this.#db
        .updateTable(this.#rows)
        .set({ expires_at: expiry })
        .where("jti", "=", jti)
        .where("expires_at", "<", expiry)
        .execute();
      return false;
    });
  }

  /** @inheritDoc */
  async consume(jti: string, expiresAt: Date): Promise<boolean> {
    checkKey(jti, `${NAME}: jti`);
    const expiry = toMillis(expiresAt, `${NAME}: expiresAt`);
    // The application's clock, as for every other time this store writes (flushExpired compares with it).
    const now = Date.now();
    const won = await guarded(STORE, () =>
      this.#db
        .insertInto(this.#rows)
        .values(unrecorded(jti, expiry, { consumedAt: now }))
        .onConflict((conflict) =>
          conflict
            .column("jti")
            .doUpdateSet({ consumed: 1, consumed_at: now, expires_at: later(this.#rows) })
            .where((eb) =>
              eb.and([
                eb(`${this.#rows}.consumed`, "=", 0),
                eb(`${this.#rows}.revoked`, "=", 0),
                eb.not(this.#familyRevoked(eb)),
              ]),
            ),
        )
        .returning("jti")
        .executeTakeFirst(),
    );
    return won !== undefined;
  }

  /** @inheritDoc */
  async consumedAt(jti: string): Promise<Date | null> {
    checkKey(jti, `${NAME}: jti`);
    const row = await guarded(STORE, () =>
      this.#db
        .selectFrom(this.#rows)
        .select(["consumed", "consumed_at"])
        .where("jti", "=", jti)
        .executeTakeFirst(),
    );
    if (row === undefined || Number(row.consumed) !== 1) return null;
    // Consumed before migration 0002 added the column: the time is unknown, so long ago.
    return row.consumed_at === null ? new Date(0) : toDate(row.consumed_at);
  }

  /** @inheritDoc */
  async revokeFamily(familyId: string): Promise<number> {
    checkKey(familyId, `${NAME}: familyId`);
    return guarded(STORE, () =>
      retried(() =>
        this.#db.transaction().execute(async (trx) => {
          // The tombstone lasts until the family's latest expiry, and at least until now.
          const now = Date.now();
          const latest = trx
            .selectFrom(this.#rows)
            .select(
              sql<number>`case when max(expires_at) > cast(${now} as bigint) then max(expires_at) else cast(${now} as bigint) end`.as(
                "latest",
              ),
            )
            .where("family_id", "=", familyId);
          await trx
            .insertInto(this.#families)
            .values({ family_id: familyId, expires_at: latest })
            .onConflict((conflict) =>
              conflict.column("family_id").doUpdateSet({ expires_at: later(this.#families) }),
            )
            .execute();
          return this.#revokeWhere(trx, "family_id", familyId);
        }),
      ),
    );
  }

  /** @inheritDoc */
  async revokeForUser(userId: string): Promise<number> {
    checkKey(userId, `${NAME}: userId`);
    return guarded(STORE, () => retried(() => this.#revokeWhere(this.#db, "user_id", userId)));
  }

  /** @inheritDoc */
  async flushExpired(): Promise<number> {
    const now = Date.now();
    return guarded(STORE, async () => {
      const result = await this.#db.deleteFrom(this.#rows).where("expires_at", "<=", now).executeTakeFirst();
      // A tombstone never leaves before its family: only when no row of the family is still live.
      await this.#db
        .deleteFrom(this.#families)
        .where("expires_at", "<=", now)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom(this.#rows)
                .select(one)
                .whereRef(`${this.#rows}.family_id`, "=", `${this.#families}.family_id`)
                .where(`${this.#rows}.expires_at`, ">", now),
            ),
          ),
        )
        .execute();
      return count(result.numDeletedRows);
    });
  }

  /** Revokes the rows whose `column` is `value`; how many were not revoked before. */
  async #revokeWhere(db: AnyKysely, column: string, value: string): Promise<number> {
    const result = await db
      .updateTable(this.#rows)
      .set({ revoked: 1 })
      .where(column, "=", value)
      .where("revoked", "=", 0)
      .executeTakeFirst();
    return count(result.numUpdatedRows);
  }

  /** `EXISTS` a tombstone for the row's family (false for a row without one). */
  #familyRevoked(eb: Builder): Expression<SqlBool> {
    return eb.exists(
      eb
        .selectFrom(this.#families)
        .select(one)
        .whereRef(`${this.#families}.family_id`, "=", `${this.#rows}.family_id`),
    );
  }
}
