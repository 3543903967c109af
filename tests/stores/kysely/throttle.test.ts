import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyThrottleStore, migrateToLatest } from "../../../src/stores/kysely/index.js";
import { hitFromProcesses } from "../throttle-children.js";
import {
  type AnyDb,
  PG_URL,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
  sqliteDb,
} from "./databases.js";

const WINDOW = 60_000;
const T0 = 1_800_000_000_000;
const TABLE = "portcullis_throttles";

const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

async function rows(
  db: AnyDb,
  table = TABLE,
): Promise<{ key_digest: string; hit_at: number; expires_at: number }[]> {
  const found = await db
    .selectFrom(table)
    .select(["key_digest", "hit_at", "expires_at"])
    .orderBy("hit_at")
    .orderBy("id")
    .execute();
  return found.map((row) => ({
    key_digest: row.key_digest as string,
    hit_at: Number(row.hit_at),
    expires_at: Number(row.expires_at),
  }));
}

/** `n` rows of other keys that left their window at T0 + 1 s, as idle clients leave them. */
async function staleRows(db: AnyDb, n: number): Promise<void> {
  const values = Array.from({ length: n }, (_, i) => ({
    key_digest: sha256(`idle-${i}`),
    hit_at: T0 - WINDOW + 1_000,
    expires_at: T0 + 1_000,
  }));
  for (let i = 0; i < values.length; i += 500)
    await db
      .insertInto(TABLE)
      .values(values.slice(i, i + 500))
      .execute();
}

describe("KyselyThrottleStore's arguments", () => {
  const store = new KyselyThrottleStore({ db: sqliteDb() });

  it.each([
    [
      "an empty key",
      () => store.hit("", 1, WINDOW, T0),
      "KyselyThrottleStore: key must be a non-empty string.",
    ],
    [
      "a negative limit",
      () => store.hit("k", -1, WINDOW, T0),
      "KyselyThrottleStore: limit must be a non-negative integer.",
    ],
    [
      "a zero window",
      () => store.peek("k", 1, 0, T0),
      "KyselyThrottleStore: windowMs must be a positive integer.",
    ],
    [
      "a fractional time",
      () => store.hit("k", 1, WINDOW, T0 + 0.5),
      "KyselyThrottleStore: now must be an integer (epoch ms).",
    ],
    ["an empty key to reset", () => store.reset(""), "KyselyThrottleStore: key must be a non-empty string."],
    [
      "a NaN time to prune",
      () => store.prune(Number.NaN),
      "KyselyThrottleStore: now must be an integer (epoch ms).",
    ],
  ])("refuses %s with a TypeError", async (_, call, message) => {
    await expect(call()).rejects.toThrow(new TypeError(message));
  });

  it("refuses a db that is not a Kysely instance", () => {
    expect(() => new KyselyThrottleStore({ db: {} as AnyDb })).toThrow(
      new TypeError("KyselyThrottleStore: options.db must be a Kysely instance."),
    );
  });
});

describe("KyselyThrottleStore's rows (SQLite)", () => {
  let db: AnyDb;
  beforeAll(async () => {
    db = sqliteDb();
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  it("keeps one row per recorded hit: the key's SHA-256, its time, and when it leaves its window", async () => {
    await db.deleteFrom(TABLE).execute();
    const store = new KyselyThrottleStore({ db });
    const key = `lockout_${"é".repeat(5_000)}`;
    await store.hit(key, 2, WINDOW, T0);
    await store.hit(key, 2, WINDOW, T0 + 1);
    await store.hit(key, 2, WINDOW, T0 + 2); // refused: no row
    expect(await rows(db)).toEqual([
      { key_digest: sha256(key), hit_at: T0, expires_at: T0 + WINDOW },
      { key_digest: sha256(key), hit_at: T0 + 1, expires_at: T0 + 1 + WINDOW },
    ]);
    // A hit deletes the key's rows that left the window, refused or not.
    await store.hit(key, 0, WINDOW, T0 + WINDOW);
    expect(await rows(db)).toEqual([
      { key_digest: sha256(key), hit_at: T0 + 1, expires_at: T0 + 1 + WINDOW },
    ]);
    await store.hit(key, 1, WINDOW, T0 + WINDOW + 1);
    expect(await rows(db)).toEqual([
      { key_digest: sha256(key), hit_at: T0 + WINDOW + 1, expires_at: T0 + 2 * WINDOW + 1 },
    ]);
    await store.reset(key);
    expect(await rows(db)).toEqual([]);
  });

  it("deletes other keys' rows that left their window: one batch on the first hit, then once a minute", async () => {
    await db.deleteFrom(TABLE).execute();
    await staleRows(db, 1_500);
    const store = new KyselyThrottleStore({ db });
    // Too early: every stale row is still within its window.
    await store.hit("live", 100, WINDOW, T0);
    expect(await rows(db)).toHaveLength(1_501);
    // Past the minute: one batch of 1,000 (the hit itself deletes its key's row at T0), and the next hit
    // takes the rest since the batch was full.
    await store.hit("live", 100, WINDOW, T0 + WINDOW);
    expect(await rows(db)).toHaveLength(501);
    await store.hit("live", 100, WINDOW, T0 + WINDOW + 1);
    expect((await rows(db)).map((row) => row.hit_at)).toEqual([T0 + WINDOW, T0 + WINDOW + 1]);
    // Within the minute since, no prune runs.
    await staleRows(db, 10);
    await store.hit("live", 100, WINDOW, T0 + WINDOW + 2);
    expect(await rows(db)).toHaveLength(13);
    expect(await store.peek("live", 100, WINDOW, T0 + WINDOW + 2)).toEqual({
      allowed: true,
      count: 3,
      oldest: T0 + WINDOW,
    });
  });

  it("prune deletes every row that left its window, in batches, and counts them", async () => {
    await db.deleteFrom(TABLE).execute();
    await staleRows(db, 2_300);
    const store = new KyselyThrottleStore({ db });
    await store.hit("live", 100, WINDOW, T0 - 1);
    expect(await store.prune(T0 + 1_000)).toBe(2_300);
    expect(await rows(db)).toEqual([
      { key_digest: sha256("live"), hit_at: T0 - 1, expires_at: T0 - 1 + WINDOW },
    ]);
    expect(await store.prune(T0 + 1_000)).toBe(0);
    expect(await store.prune()).toBe(0); // Date.now(): T0 is still to come
    expect(await store.prune(T0 - 1 + WINDOW)).toBe(1);
  });

  it("uses the table name it is given", async () => {
    const own = sqliteDb();
    await migrateToLatest(own, { tables: { throttles: "app_throttles" } });
    const store = new KyselyThrottleStore({ db: own, tables: { throttles: "app_throttles" } });
    await store.hit("k", 1, WINDOW, T0);
    expect(await rows(own, "app_throttles")).toHaveLength(1);
    await expect(new KyselyThrottleStore({ db: own }).hit("k", 1, WINDOW, T0)).rejects.toMatchObject({
      code: "SQLITE_ERROR",
    });
    await own.destroy();
  });

  it("runs inside the caller's transaction, and a rollback takes the hit back", async () => {
    await db.deleteFrom(TABLE).execute();
    await db
      .transaction()
      .execute(async (trx) => {
        const store = new KyselyThrottleStore({ db: trx });
        expect((await store.hit("k", 1, WINDOW, T0)).allowed).toBe(true);
        expect((await store.hit("k", 1, WINDOW, T0)).allowed).toBe(false);
        throw new Error("rolled back");
      })
      .catch(() => {});
    expect(await new KyselyThrottleStore({ db }).peek("k", 1, WINDOW, T0)).toEqual({
      allowed: true,
      count: 0,
      oldest: null,
    });
  });
});

const skip = await postgresSkipReason();

describe.skipIf(skip !== null)(
  `KyselyThrottleStore on PostgreSQL${skip === null ? "" : ` (skipped: ${skip})`}`,
  () => {
    let database: PostgresSchema;
    beforeAll(async () => {
      database = await postgresSchema(4);
      await migrateToLatest(database.db);
    });
    afterAll(async () => {
      await database?.drop();
    });

    it("two instances (two pools of 25) hitting one key at once allow exactly the limit", async () => {
      const stores = [database.connect(25), database.connect(25)].map(
        (db) => new KyselyThrottleStore({ db }),
      );
      for (let round = 0; round < 5; round++) {
        const states = await Promise.all(
          Array.from({ length: 50 }, (_, i) => stores[i % 2]!.hit(`pools-${round}`, 7, WINDOW, T0)),
        );
        expect(states.filter((state) => state.allowed)).toHaveLength(7);
      }
    });

    it("two processes hitting one key at once allow exactly the limit in total", async () => {
      const key = "two-processes";
      const allowed = await hitFromProcesses(
        {
          THROTTLE_STORE: "postgres",
          THROTTLE_URL: PG_URL,
          THROTTLE_SCHEMA: database.schema,
          THROTTLE_KEY: key,
          THROTTLE_LIMIT: "7",
          THROTTLE_CALLS: "20",
        },
        2,
      );
      expect(allowed.reduce((sum, n) => sum + n, 0)).toBe(7);
      const { count } = await new KyselyThrottleStore({ db: database.db }).peek(key, 7, WINDOW, Date.now());
      expect(count).toBe(7);
    }, 60_000);
  },
);
