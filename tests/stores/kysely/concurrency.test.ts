import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { Kysely, type KyselyPlugin, PostgresDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyRevocationStore, migrateToLatest } from "../../../src/stores/kysely/index.js";
import {
  type AnyDb,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
  schemaPool,
  sqliteDb,
} from "./databases.js";

const later = (): Date => new Date(Date.now() + 3_600_000);
const ROUNDS = 10;

/**
 * Starts one worker thread per `data` on `script` (tsx's loader registered in the thread: a worker runs
 * outside vitest's transform), releases them all at once from a barrier when every one is ready, and
 * answers what each posted.
 */
async function atBarrier<T = string>(script: string, data: Record<string, unknown>[]): Promise<T[]> {
  const barrier = new SharedArrayBuffer(8);
  const flag = new Int32Array(barrier);
  const bootstrap = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(
    new URL(script, import.meta.url).href,
  )}); })`;
  const workers = data.map(
    (workerData) => new Worker(bootstrap, { eval: true, workerData: { ...workerData, barrier } }),
  );
  let failed: unknown;
  const results = workers.map(
    (worker) =>
      new Promise<T>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", (error) => {
          failed = error;
          reject(error);
        });
      }),
  );
  for (const result of results) result.catch(() => {}); // surfaced by `failed` or the Promise.all below
  while (Atomics.load(flag, 1) < workers.length && failed === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (failed !== undefined) throw failed;
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  return Promise.all(results);
}

/** 50 parallel `consume` of one jti spread over the stores, per round: exactly one true each time. */
async function consumeRace(
  stores: KyselyRevocationStore[],
  round: number,
  recorded: boolean,
): Promise<number> {
  const jti = `race-${round}-${recorded ? "recorded" : "unrecorded"}`;
  if (recorded)
    await stores[0]!.recordOutstanding({ jti, userId: "1", familyId: `f${round}`, expiresAt: later() });
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.consume(jti, later())),
  );
  expect(await stores[0]!.isRevoked(jti)).toBe(false);
  expect(await stores[1 % stores.length]!.consume(jti, later())).toBe(false);
  return results.filter((won) => won).length;
}

/** consume racing revokeFamily: at most one consume wins, and afterwards the jti is revoked for all. */
async function consumeAgainstRevoke(stores: KyselyRevocationStore[], round: number): Promise<void> {
  const jti = `versus-${round}`;
  const familyId = `family-${round}`;
  await stores[0]!.recordOutstanding({ jti, userId: "1", familyId, expiresAt: later() });
  const [revoked, ...consumed] = await Promise.all([
    stores[1 % stores.length]!.revokeFamily(familyId),
    ...Array.from({ length: 20 }, (_, i) => stores[i % stores.length]!.consume(jti, later())),
  ]);
  expect(revoked).toBe(1);
  expect(consumed.filter((won) => won).length).toBeLessThanOrEqual(1);
  expect(await stores[0]!.isRevoked(jti)).toBe(true);
  expect(await stores[0]!.consume(jti, later())).toBe(false);
}

describe("50 parallel consume of one jti on SQLite", () => {
  let db: AnyDb;
  beforeAll(async () => {
    db = sqliteDb();
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  it("one instance: exactly one true per jti, recorded or not", async () => {
    const stores = [new KyselyRevocationStore({ db })];
    for (let round = 0; round < ROUNDS; round++) {
      expect(await consumeRace(stores, round, true)).toBe(1);
      expect(await consumeRace(stores, round, false)).toBe(1);
      await consumeAgainstRevoke(stores, round);
    }
  });

  describe("five worker threads, each with its own connection to one WAL file", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "portcullis-sqlite-race-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("migrateToLatest at once from every thread (each app instance at startup): one migrates, none fails", async () => {
      const file = join(dir, "migrate.db");
      const setup = sqliteDb(file);
      await sql`pragma journal_mode = wal`.execute(setup);
      await setup.destroy();
      const answers = await atBarrier(
        "./sqlite-migrate-worker.ts",
        Array.from({ length: 5 }, () => ({ file })),
      );
      expect(answers.filter((answer) => answer !== "ran 0")).toEqual([expect.stringMatching(/^ran [1-9]/)]);
    }, 60_000);

    it("exactly one true per jti across the threads", async () => {
      const file = join(dir, "race.db");
      const setup = sqliteDb(file);
      await migrateToLatest(setup);
      await sql`pragma journal_mode = wal`.execute(setup);
      // Half recorded (the UPDATE path of the upsert), half never seen (the INSERT path).
      const jtis = Array.from({ length: 2 * ROUNDS }, (_, i) => `thread-race-${i}`);
      const recorder = new KyselyRevocationStore({ db: setup });
      for (const jti of jtis.slice(0, ROUNDS)) {
        await recorder.recordOutstanding({ jti, userId: "1", familyId: null, expiresAt: later() });
      }
      await setup.destroy();
      const won = await atBarrier<number[]>(
        "./sqlite-consume-worker.ts",
        Array.from({ length: 5 }, () => ({ file, jtis, calls: 10 })),
      );
      // Per jti, the wins of all five threads together.
      expect(jtis.map((_, i) => won.reduce((sum, perThread) => sum + perThread[i]!, 0))).toEqual(
        jtis.map(() => 1),
      );
    }, 60_000);

    it("throttle hits across the threads record exactly the limit per key", async () => {
      const file = join(dir, "throttle.db");
      const setup = sqliteDb(file);
      await migrateToLatest(setup);
      await sql`pragma journal_mode = wal`.execute(setup);
      await setup.destroy();
      const keys = Array.from({ length: ROUNDS }, (_, i) => `thread-throttle-${i}`);
      const allowed = await atBarrier<number[]>(
        "./sqlite-throttle-worker.ts",
        Array.from({ length: 5 }, () => ({ file, keys, calls: 10, limit: 7, now: Date.now() })),
      );
      // Per key, the hits allowed in all five threads together.
      expect(keys.map((_, i) => allowed.reduce((sum, perThread) => sum + perThread[i]!, 0))).toEqual(
        keys.map(() => 7),
      );
    }, 60_000);
  });
});

const skip = await postgresSkipReason();

describe.skipIf(skip !== null)(
  `50 parallel consume of one jti on PostgreSQL${skip === null ? "" : ` (skipped: ${skip})`}`,
  () => {
    let database: PostgresSchema;
    const pools: ReturnType<typeof schemaPool>[] = [];
    const instances: AnyDb[] = [];
    let stores: KyselyRevocationStore[];

    beforeAll(async () => {
      database = await postgresSchema();
      await migrateToLatest(database.db);
      // Two app instances, 25 connections each: the 50 calls really run at once.
      for (let i = 0; i < 2; i++) {
        const pool = schemaPool(database.schema, 25);
        pools.push(pool);
        instances.push(new Kysely({ dialect: new PostgresDialect({ pool }) }));
      }
      stores = instances.map((db) => new KyselyRevocationStore({ db }));
    });
    afterAll(async () => {
      await Promise.all(instances.map((db) => db.destroy()));
      await database?.drop();
    });

    it("two instances: exactly one true per jti, recorded or not", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        expect(await consumeRace(stores, round, true)).toBe(1);
        expect(await consumeRace(stores, round, false)).toBe(1);
      }
      // Real concurrency: the pools opened many connections, not one each.
      expect(pools.reduce((sum, pool) => sum + pool.totalCount, 0)).toBeGreaterThan(10);
    });

    it("consume racing revokeFamily: at most one winner, then revoked everywhere", async () => {
      for (let round = 0; round < ROUNDS; round++) await consumeAgainstRevoke(stores, round);
    });

    it("20 parallel revoke of one jti across instances: exactly one true", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => stores[i % 2]!.revoke(`revoke-race-${round}`, later())),
        );
        expect(results.filter((first) => first).length).toBe(1);
      }
    });
  },
);

describe("revokeFamily and revokeForUser after a deadlock", () => {
  /** Fails the first `failures` UPDATE statements as PostgreSQL fails a deadlock victim (rolled back). */
  const deadlocks = (failures: number): KyselyPlugin => ({
    transformQuery({ node }) {
      if (node.kind === "UpdateQueryNode" && failures-- > 0) {
        throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
      }
      return node;
    },
    transformResult: async ({ result }) => result,
  });

  it("run again (up to three attempts) and count each token once", async () => {
    const base = sqliteDb();
    await migrateToLatest(base);
    const setup = new KyselyRevocationStore({ db: base });
    for (const jti of ["a", "b", "c"]) {
      await setup.recordOutstanding({ jti, userId: "1", familyId: "f", expiresAt: later() });
    }
    await setup.recordOutstanding({ jti: "d", userId: "2", familyId: null, expiresAt: later() });
    expect(await new KyselyRevocationStore({ db: base.withPlugin(deadlocks(2)) }).revokeFamily("f")).toBe(3);
    expect(await new KyselyRevocationStore({ db: base.withPlugin(deadlocks(1)) }).revokeForUser("2")).toBe(1);
    const third = new KyselyRevocationStore({ db: base.withPlugin(deadlocks(3)) });
    await setup.recordOutstanding({ jti: "e", userId: "3", familyId: null, expiresAt: later() });
    await expect(third.revokeForUser("3")).rejects.toMatchObject({ code: "40P01" });
    expect(await setup.isRevoked("e")).toBe(false);
    await base.destroy();
  });
});
