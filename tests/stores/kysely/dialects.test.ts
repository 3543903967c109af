/**
 * PreparedSqliteDialect and PreparedPostgresDialect: what they change (statements prepared once per
 * connection, named statements) and what they must not (transactions, logging, StoreUnavailable, one winner of 50).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type DatabaseConnection, Kysely, type KyselyPlugin, SqliteDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { serverError } from "../../../src/adapter-kit.js";
import { authenticate, SchemeError, StoreUnavailable, TokenAuthentication } from "../../../src/index.js";
import {
  KyselyRevocationStore,
  KyselyTokenStore,
  KyselyUserStore,
  migrateToLatest,
  PreparedPostgresDialect,
  PreparedSqliteDialect,
} from "../../../src/stores/kysely/index.js";
import type { TokenRecord } from "../../../src/stores/types.js";
import { makeRequest } from "../../../src/testing/index.js";
import {
  type AnyDb,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
  preparedSqliteDb,
  schemaPool,
  sqliteDb,
} from "./databases.js";

const later = (): Date => new Date(Date.now() + 3_600_000);
const token = (digest: string, userId = "u1"): TokenRecord => ({
  digest,
  userId,
  name: null,
  createdAt: new Date(),
  expiresAt: null,
  lastUsedAt: null,
});

/** 50 parallel consume of one jti: how many won. */
async function race(store: KyselyRevocationStore, jti: string): Promise<number> {
  const results = await Promise.all(Array.from({ length: 50 }, () => store.consume(jti, later())));
  return results.filter((won) => won).length;
}

describe("PreparedSqliteDialect with directReads", () => {
  const direct = async (plugins: KyselyPlugin[] = []): Promise<AnyDb> => {
    const db = new Kysely({
      dialect: new PreparedSqliteDialect({ database: new Database(":memory:"), directReads: true }),
      plugins,
    }) as AnyDb;
    await migrateToLatest(db);
    return db;
  };

  it("runs the hot reads at once, outside Kysely's executor, with the same answers", async () => {
    const db = await direct();
    const tokens = new KyselyTokenStore({ db });
    const users = new KyselyUserStore({ db });
    const ada = await users.create({ username: "ada", passwordHash: null });
    await tokens.save({ ...token("present", ada.id), expiresAt: later() });
    const executed = vi.spyOn(db.getExecutor(), "executeQuery");
    const found = await tokens.findByDigest("present");
    expect(found).toMatchObject({ digest: "present", userId: ada.id, name: null, lastUsedAt: null });
    expect(found?.expiresAt).toBeInstanceOf(Date);
    expect(await tokens.findByDigest("absent")).toBeNull();
    expect(await users.findById(ada.id)).toEqual(ada);
    expect(await users.findByUsername("ada")).toEqual(ada);
    expect(await users.findById("nobody")).toBeNull();
    expect(executed).not.toHaveBeenCalled();
    await tokens.delete("present"); // a write goes through Kysely
    expect(executed).toHaveBeenCalledTimes(1);
    expect(await tokens.findByDigest("present")).toBeNull();
    await db.destroy();
  });

  it("a read during an open transaction waits for it, and never sees its uncommitted rows", async () => {
    const db = await direct();
    const tokens = new KyselyTokenStore({ db });
    let inside: Promise<TokenRecord | null> | undefined;
    let settledInside = false;
    await db
      .transaction()
      .execute(async (trx) => {
        const own = new KyselyTokenStore({ db: trx });
        await own.save(token("uncommitted"));
        expect((await own.findByDigest("uncommitted"))?.digest).toBe("uncommitted"); // on its connection
        inside = tokens.findByDigest("uncommitted");
        void inside.then(() => {
          settledInside = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(settledInside).toBe(false);
        throw new Error("roll back");
      })
      .catch((error: Error) => expect(error.message).toBe("roll back"));
    expect(await inside).toBeNull();
    await db.destroy();
  });

  it("a Kysely plugin keeps the hot reads on Kysely's path, where it sees them", async () => {
    const seen: string[] = [];
    const plugin: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        seen.push(String(args.queryId.queryId));
        return args.result;
      },
    };
    const db = await direct([plugin]);
    seen.length = 0;
    expect(await new KyselyTokenStore({ db }).findByDigest("x")).toBeNull();
    expect(seen).toHaveLength(1);
    await db.destroy();
  });

  it("StoreUnavailable on a closed database and on a destroyed instance, never null", async () => {
    const database = new Database(":memory:");
    const db = new Kysely({ dialect: new PreparedSqliteDialect({ database, directReads: true }) }) as AnyDb;
    await migrateToLatest(db);
    const users = new KyselyUserStore({ db });
    expect(await users.findById("x")).toBeNull();
    database.close();
    const error = await users.findById("x").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect((error as StoreUnavailable).store).toBe("users");

    const gone = await direct();
    const tokens = new KyselyTokenStore({ db: gone });
    await gone.destroy();
    await expect(tokens.findByDigest("x")).rejects.toBeInstanceOf(StoreUnavailable);
  });
});

describe("PreparedSqliteDialect", () => {
  let db: AnyDb;
  beforeAll(async () => {
    db = preparedSqliteDb();
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  it("rejects a maxStatements that is not a positive integer", () => {
    const database = new Database(":memory:");
    expect(() => new PreparedSqliteDialect({ database, maxStatements: 0 })).toThrow(/maxStatements/);
    expect(() => new PreparedSqliteDialect({ database, maxStatements: 1.5 })).toThrow(/maxStatements/);
    database.close();
  });

  it("keeps at most maxStatements and still answers every query", async () => {
    const small: AnyDb = new Kysely({
      dialect: new PreparedSqliteDialect({ database: new Database(":memory:"), maxStatements: 2 }),
    });
    await migrateToLatest(small);
    const users = new KyselyUserStore({ db: small });
    const ada = await users.create({ username: "ada", passwordHash: null });
    for (let i = 0; i < 5; i++) {
      expect((await users.findById(ada.id))?.username).toBe("ada");
      expect((await users.findByUsername("ada"))?.id).toBe(ada.id);
      expect(
        await small.selectFrom("portcullis_tokens").selectAll().where("user_id", "=", `x${i}`).execute(),
      ).toEqual([]);
    }
    await small.destroy();
  });

  it("prepares each statement once per connection, and Kysely's plugins see every read", async () => {
    const database = new Database(":memory:");
    const prepare = vi.spyOn(database, "prepare");
    const seen: string[] = [];
    const base: AnyDb = new Kysely({ dialect: new PreparedSqliteDialect({ database }) });
    const db = base.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        seen.push(args.queryId.queryId);
        return args.result;
      },
    });
    try {
      await migrateToLatest(db);
      const tokens = new KyselyTokenStore({ db });
      await tokens.save(token("once"));
      prepare.mockClear();
      seen.length = 0;
      for (let i = 0; i < 5; i++) {
        const digest = i % 2 === 0 ? "once" : "other";
        expect((await tokens.findByDigest(digest))?.digest ?? null).toBe(i % 2 === 0 ? "once" : null);
      }
      expect(prepare).toHaveBeenCalledOnce();
      expect(seen).toHaveLength(5);
      // Kysely's own dialect prepares the same read every time.
      const plain: AnyDb = new Kysely({ dialect: new SqliteDialect({ database }) });
      const plainTokens = new KyselyTokenStore({ db: plain });
      prepare.mockClear();
      for (let i = 0; i < 3; i++) expect((await plainTokens.findByDigest("once"))?.userId).toBe("u1");
      expect(prepare).toHaveBeenCalledTimes(3);
    } finally {
      await base.destroy();
    }
  });

  it("TokenAuthentication reads the hot queries through the stores' own methods, on either dialect", async () => {
    const ordinary = sqliteDb();
    await migrateToLatest(ordinary);
    try {
      for (const handle of [db, ordinary]) {
        const tokens = new KyselyTokenStore({ db: handle });
        const users = new KyselyUserStore({ db: handle });
        const ada = await users.create({ username: "ada-hot", passwordHash: null });
        const scheme = new TokenAuthentication({ tokens, users });
        const { token: plaintext, record } = await scheme.issue(ada.id);
        const findByDigest = vi.spyOn(tokens, "findByDigest");
        const findById = vi.spyOn(users, "findById");
        const request = makeRequest({ headers: { Authorization: `Token ${plaintext}` } });
        const result = await authenticate(request, [scheme]);
        expect(result).toMatchObject({ outcome: "success", user: { id: ada.id, username: "ada-hot" } });
        expect(findByDigest).toHaveBeenCalledExactlyOnceWith(record.digest);
        expect(findById).toHaveBeenCalledExactlyOnceWith(ada.id);
        expect((await users.findByUsername("ada-hot"))?.id).toBe(ada.id);
        expect(await tokens.findByDigest("missing")).toBeNull();
      }
    } finally {
      await ordinary.destroy();
    }
  });

  it("a read during an open transaction waits for it, and never sees its uncommitted rows", async () => {
    const tokens = new KyselyTokenStore({ db });
    let inside: Promise<TokenRecord | null> | undefined;
    let settledInside = false;
    await db
      .transaction()
      .execute(async (trx) => {
        await new KyselyTokenStore({ db: trx }).save(token("uncommitted"));
        inside = tokens.findByDigest("uncommitted");
        void inside.then(() => {
          settledInside = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(settledInside).toBe(false); // queued behind the transaction, not read on its connection
        throw new Error("roll back");
      })
      .catch((error: Error) => expect(error.message).toBe("roll back"));
    expect(await inside).toBeNull();
    expect(await tokens.findByDigest("uncommitted")).toBeNull();
  });

  it("stores built on a transaction read on it, and commit and rollback work", async () => {
    await db.transaction().execute(async (trx) => {
      const tokens = new KyselyTokenStore({ db: trx });
      await tokens.save(token("committed"));
      expect((await tokens.findByDigest("committed"))?.userId).toBe("u1");
    });
    expect((await new KyselyTokenStore({ db }).findByDigest("committed"))?.userId).toBe("u1");
  });

  it("savepoints (controlled transactions) work", async () => {
    const trx = await db.startTransaction().execute();
    const tokens = new KyselyTokenStore({ db: trx });
    await tokens.save(token("kept"));
    const savepoint = await trx.savepoint("a b").execute();
    await tokens.save(token("undone"));
    await savepoint.rollbackToSavepoint("a b").execute();
    await trx.commit().execute();
    const root = new KyselyTokenStore({ db });
    expect(await root.findByDigest("kept")).not.toBeNull();
    expect(await root.findByDigest("undone")).toBeNull();
  });

  it("streams a select", async () => {
    const rows: unknown[] = [];
    for await (const row of db.selectFrom("portcullis_tokens").select("digest").stream()) rows.push(row);
    expect(rows.length).toBeGreaterThan(0);
  });

  it("50 parallel consume of one jti: exactly one true", async () => {
    const store = new KyselyRevocationStore({ db });
    for (let round = 0; round < 5; round++) expect(await race(store, `sqlite-race-${round}`)).toBe(1);
  });

  it("the stores' reads answer the rows Kysely's own dialect answers, value for value", async () => {
    const database = new Database(":memory:");
    const direct: AnyDb = new Kysely({ dialect: new PreparedSqliteDialect({ database }) });
    const ordinary: AnyDb = new Kysely({ dialect: new SqliteDialect({ database }) });
    try {
      await migrateToLatest(direct);
      const users = new KyselyUserStore({ db: direct });
      const tokens = new KyselyTokenStore({ db: direct });
      const ada = await users.create({
        username: "ada",
        passwordHash: "pbkdf2_sha256$1$s$h",
        isActive: false,
      });
      const saved = { ...token("raw", ada.id), name: "laptop", expiresAt: later(), lastUsedAt: new Date(5) };
      await tokens.save(saved);
      await users.updateLastLogin(ada.id, new Date(7));
      const found = await tokens.findByDigest("raw");
      expect(found).toEqual(saved);
      expect(await new KyselyTokenStore({ db: ordinary }).findByDigest("raw")).toEqual(found);
      const user = await users.findById(ada.id);
      expect(user).toMatchObject({ username: "ada", isActive: false, lastLogin: new Date(7) });
      expect(await new KyselyUserStore({ db: ordinary }).findById(ada.id)).toEqual(user);
      expect(await tokens.findByDigest("missing")).toBeNull();
      expect(await users.findById("missing")).toBeNull();
    } finally {
      await direct.destroy();
    }
  });

  it("cached statements follow a table that changed shape, through the dialect or another handle", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-shape-"));
    const file = join(dir, "auth.db");
    const shaped: AnyDb = preparedSqliteDb(file);
    try {
      await migrateToLatest(shaped);
      const seen: Record<string, unknown>[] = [];
      const users = new KyselyUserStore({
        db: shaped,
        toUser: (row) => {
          seen.push(row);
          return { id: row.id };
        },
      });
      const ada = await users.create({ username: "ada", passwordHash: null });
      await users.findById(ada.id);
      expect(seen.at(-1)).not.toHaveProperty("nickname");
      // Through the dialect: a column added and another dropped keep the count, and are still seen.
      await shaped.schema.alterTable("portcullis_users").addColumn("nickname", "text").execute();
      await shaped.updateTable("portcullis_users").set({ nickname: "countess" }).execute();
      await users.findById(ada.id);
      expect(seen.at(-1)).toMatchObject({ username: "ada", nickname: "countess" });
      await shaped.schema.alterTable("portcullis_users").dropColumn("nickname").execute();
      await shaped.schema.alterTable("portcullis_users").addColumn("title", "text").execute();
      await shaped.updateTable("portcullis_users").set({ title: "Lady" }).execute();
      await users.findById(ada.id);
      expect(seen.at(-1)).toMatchObject({ username: "ada", title: "Lady" });
      expect(seen.at(-1)).not.toHaveProperty("nickname");
      // Through another handle on the same file: a column added is seen on the next read.
      const other = new Database(file);
      other.exec(`alter table "portcullis_users" add column "age" integer default 36`);
      other.close();
      await users.findById(ada.id);
      expect(seen.at(-1)).toMatchObject({ username: "ada", title: "Lady", age: 36 });
      // Another handle drops a column and adds one: the same count, and every value under its own name.
      const third = new Database(file);
      third.exec(`alter table "portcullis_users" drop column "title"`);
      third.exec(`alter table "portcullis_users" add column "motto" text default 'fortiter'`);
      third.close();
      await users.findById(ada.id);
      expect(seen.at(-1)).toMatchObject({ username: "ada", age: 36, motto: "fortiter", is_active: true });
      expect(seen.at(-1)).not.toHaveProperty("title");
    } finally {
      await shaped.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Kysely's query log still sees the hot reads", async () => {
    const logged: string[] = [];
    const logging = new Kysely({
      dialect: new PreparedSqliteDialect({ database: new Database(":memory:") }),
      log: (event) => {
        if (event.level === "query") logged.push(event.query.sql);
      },
    });
    await migrateToLatest(logging);
    const tokens = new KyselyTokenStore({ db: logging });
    logged.length = 0;
    await tokens.findByDigest("a");
    await tokens.findByDigest("b");
    expect(logged.filter((text) => text.includes('"digest" = ?'))).toHaveLength(2);
    await logging.destroy();
  });

  it("StoreUnavailable on a destroyed instance and on a closed database", async () => {
    const gone = preparedSqliteDb();
    await migrateToLatest(gone);
    const tokens = new KyselyTokenStore({ db: gone });
    expect(await tokens.findByDigest("x")).toBeNull();
    await gone.destroy();
    await expect(tokens.findByDigest("x")).rejects.toBeInstanceOf(StoreUnavailable);

    const database = new Database(":memory:");
    const closed = new Kysely({ dialect: new PreparedSqliteDialect({ database }) });
    await migrateToLatest(closed);
    const users = new KyselyUserStore({ db: closed });
    expect(await users.findById("x")).toBeNull();
    database.close();
    const error = await users.findById("x").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect((error as StoreUnavailable).store).toBe("users");
  });

  it("token authentication on a closed database fails with StoreUnavailable: 503, never anonymous", async () => {
    const database = new Database(":memory:");
    const closed = new Kysely({ dialect: new PreparedSqliteDialect({ database }) });
    await migrateToLatest(closed);
    const tokens = new KyselyTokenStore({ db: closed });
    const users = new KyselyUserStore({ db: closed });
    const scheme = new TokenAuthentication({ tokens, users });
    const { token: presented } = await scheme.issue("u1");
    database.close();
    const request = makeRequest({ headers: { Authorization: `Token ${presented}` } });
    const error = await authenticate(request, [scheme]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemeError);
    expect((error as SchemeError).cause).toBeInstanceOf(StoreUnavailable);
    expect(serverError(error)).toMatchObject({ status: 503, body: { code: "service_unavailable" } });
  });

  it("does not turn a missing table into StoreUnavailable", async () => {
    const bare = preparedSqliteDb();
    await sql`select 1`.execute(bare); // the first query goes through Kysely either way
    const tokens = new KyselyTokenStore({ db: bare });
    const error = await tokens.findByDigest("x").catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(StoreUnavailable);
    expect(String(error)).toMatch(/no such table/);
    await bare.destroy();
  });
});

const skip = await postgresSkipReason();

describe.skipIf(skip !== null)(`PreparedPostgresDialect${skip === null ? "" : ` (skipped: ${skip})`}`, () => {
  let database: PostgresSchema;
  beforeAll(async () => {
    database = await postgresSchema(1, { prepared: true }); // one connection: its statements are the ones we see
    await migrateToLatest(database.db);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const prepared = async (): Promise<string[]> => {
    const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(
      database.db,
    );
    return rows.map((row) => row.statement);
  };

  it("sends the hot reads as named statements, and nothing else", async () => {
    const users = new KyselyUserStore({ db: database.db });
    const tokens = new KyselyTokenStore({ db: database.db });
    const ada = await users.create({ username: "ada-named", passwordHash: null });
    await tokens.save(token("named", ada.id));
    expect((await tokens.findByDigest("named"))?.userId).toBe(ada.id);
    expect((await users.findById(ada.id))?.username).toBe("ada-named");
    const statements = await prepared();
    expect(statements.some((text) => text.includes('"digest" = $1'))).toBe(true);
    expect(statements.some((text) => text.includes('"id" = $1'))).toBe(true);
    expect(statements.some((text) => text.startsWith("insert"))).toBe(false);
  });

  it("prepares again after the server dropped the statements (DEALLOCATE ALL)", async () => {
    const users = new KyselyUserStore({ db: database.db });
    const ada = await users.create({ username: "ada-deallocated", passwordHash: null });
    expect(await users.findById(ada.id)).not.toBeNull();
    await sql`deallocate all`.execute(database.db);
    expect((await users.findById(ada.id))?.username).toBe("ada-deallocated");
  });

  it("prepares again after the table changed shape (cached plan must not change result type)", async () => {
    const users = new KyselyUserStore({ db: database.db });
    const ada = await users.create({ username: "ada-altered", passwordHash: null });
    expect(await users.findById(ada.id)).not.toBeNull();
    // With toUser, the store reads `*`: its statement, prepared before the change, no longer fits.
    const withColumn = new KyselyUserStore<{ nickname: unknown }>({
      db: database.db,
      toUser: (row) => ({ nickname: row.nickname }),
    });
    expect((await withColumn.findById(ada.id))?.user).toEqual({ nickname: undefined });
    await sql`alter table portcullis_users add column nickname text`.execute(database.db);
    try {
      expect((await withColumn.findById(ada.id))?.user).toEqual({ nickname: null });
      expect((await users.findById(ada.id))?.username).toBe("ada-altered");
    } finally {
      await sql`alter table portcullis_users drop column nickname`.execute(database.db);
    }
  });

  it("transactions: a store on the transaction reads its rows; rollback undoes them", async () => {
    await database.db
      .transaction()
      .execute(async (trx) => {
        const tokens = new KyselyTokenStore({ db: trx });
        await tokens.save(token("in-transaction"));
        expect(await tokens.findByDigest("in-transaction")).not.toBeNull();
        throw new Error("roll back");
      })
      .catch((error: Error) => expect(error.message).toBe("roll back"));
    expect(await new KyselyTokenStore({ db: database.db }).findByDigest("in-transaction")).toBeNull();
  });

  it("a transaction that an error aborted is not reported committed", async () => {
    const tokens = new KyselyTokenStore({ db: database.db });
    const outcome = database.db.transaction().execute(async (trx) => {
      await new KyselyTokenStore({ db: trx }).save(token("aborted"));
      await sql`select 1 / 0`.execute(trx).catch(() => {}); // swallowed, but the server aborted the transaction
    });
    await expect(outcome).rejects.toThrow("Transaction was rolled back instead of committed");
    expect(await tokens.findByDigest("aborted")).toBeNull();
  });

  /** A Kysely instance of its own on the schema, with `options` for Kysely and the dialect. */
  const own = (
    options: { log?: (event: { level: string; query: { sql: string } }) => void } & {
      onReserveConnection?: (connection: DatabaseConnection) => Promise<void>;
      onCreateConnection?: (connection: DatabaseConnection) => Promise<void>;
    } = {},
  ): AnyDb => {
    const { log, ...hooks } = options;
    return new Kysely({
      dialect: new PreparedPostgresDialect({ pool: schemaPool(database.schema, 2), ...hooks }),
      ...(log === undefined ? {} : { log }),
    });
  };

  // A result plugin sees what goes through Kysely's executor: the hot reads too.
  const counting = (seen: string[]): KyselyPlugin => ({
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      seen.push(args.queryId.queryId);
      return args.result;
    },
  });

  it("hot reads go through Kysely's executor: result plugins see them, and they answer the same", async () => {
    const db = own();
    const seen: string[] = [];
    const watched = db.withPlugin(counting(seen));
    try {
      const users = new KyselyUserStore({ db: watched });
      const tokens = new KyselyTokenStore({ db: watched });
      const ada = await users.create({ username: "ada-direct", passwordHash: null });
      await tokens.save(token("direct", ada.id));
      const through = seen.length;
      const [found, missing, user] = await Promise.all([
        tokens.findByDigest("direct"),
        tokens.findByDigest("absent"),
        users.findById(ada.id),
      ]);
      expect(found).toMatchObject({ digest: "direct", userId: ada.id, name: null, expiresAt: null });
      expect(found?.createdAt).toBeInstanceOf(Date);
      expect(missing).toBeNull();
      expect(user?.username).toBe("ada-direct");
      expect(seen).toHaveLength(through + 3);
    } finally {
      await db.destroy();
    }
  });

  it("names Kysely's selects only: not raw SQL, not writes, not inside a transaction", async () => {
    const db = own();
    try {
      const digest = 'select "digest" from "portcullis_tokens" where "user_id" = $1';
      await db.connection().execute(async (conn) => {
        await sql`deallocate all`.execute(conn);
        await conn.transaction().execute(async (trx) => {
          await trx.selectFrom("portcullis_tokens").select("digest").where("user_id", "=", "t").execute();
        });
        await sql.raw(`select 1 as raw_one`).execute(conn);
        await conn.deleteFrom("portcullis_tokens").where("user_id", "=", "nobody").execute();
        const named = async () =>
          (
            await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(conn)
          ).rows.map((row) => row.statement);
        expect(await named()).toEqual([]);
        await conn.selectFrom("portcullis_tokens").select("digest").where("user_id", "=", "t").execute();
        expect(await named()).toEqual([digest]);
      });
    } finally {
      await db.destroy();
    }
  });

  it("names at most 100 statements per connection, and answers the rest unnamed", async () => {
    const db = own();
    try {
      await db.connection().execute(async (conn) => {
        await sql`deallocate all`.execute(conn);
        for (let i = 0; i < 105; i++) {
          const rows = await conn.selectNoFrom(sql<number>`${sql.lit(i)}::int`.as("n")).execute();
          expect(rows).toEqual([{ n: i }]);
        }
        const { rows } = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_prepared_statements`.execute(conn);
        expect(rows[0]?.n).toBe(100);
      });
    } finally {
      await db.destroy();
    }
  });

  it("two dialects on one pool share its connections without clashing names", async () => {
    const pool = schemaPool(database.schema, 1);
    const first: AnyDb = new Kysely({ dialect: new PreparedPostgresDialect({ pool }) });
    const second: AnyDb = new Kysely({ dialect: new PreparedPostgresDialect({ pool }) });
    try {
      const users = new KyselyUserStore({ db: first });
      const ada = await users.create({ username: "ada-shared", passwordHash: null });
      const tokens = new KyselyTokenStore({ db: second });
      for (let round = 0; round < 2; round++) {
        expect((await users.findById(ada.id))?.username).toBe("ada-shared");
        expect(await tokens.findByDigest("none")).toBeNull();
        expect((await new KyselyUserStore({ db: second }).findById(ada.id))?.username).toBe("ada-shared");
      }
    } finally {
      await first.destroy();
      await second.destroy().catch(() => {}); // the pool is already ended
    }
  });

  it("a store on db.connection() reads on that connection: its session and a transaction begun by hand", async () => {
    const db = own();
    try {
      const ada = await new KyselyUserStore({ db }).create({ username: "ada-fixed", passwordHash: null });
      expect(await new KyselyTokenStore({ db }).findByDigest("none")).toBeNull(); // named on a pooled connection
      await db.connection().execute(async (conn) => {
        const tokens = new KyselyTokenStore({ db: conn });
        await sql`begin`.execute(conn);
        await tokens.save(token("uncommitted", ada.id));
        // Another pooled connection could not see this row.
        expect((await tokens.findByDigest("uncommitted"))?.userId).toBe(ada.id);
        expect((await new KyselyUserStore({ db: conn }).findById(ada.id))?.username).toBe("ada-fixed");
        await sql`rollback`.execute(conn);
        await sql`set search_path to pg_catalog`.execute(conn);
        await expect(tokens.findByDigest("uncommitted")).rejects.toThrow(/does not exist/);
        await sql`reset search_path`.execute(conn);
      });
      expect(await new KyselyTokenStore({ db }).findByDigest("uncommitted")).toBeNull();
    } finally {
      await db.destroy();
    }
  });

  it("Kysely's query log still sees the hot reads, and they stay named", async () => {
    const logged: string[] = [];
    const db = own({
      log: (event) => {
        if (event.level === "query") logged.push(event.query.sql);
      },
    });
    try {
      const tokens = new KyselyTokenStore({ db });
      await sql`select 1`.execute(db);
      logged.length = 0;
      await tokens.findByDigest("a");
      await tokens.findByDigest("b");
      expect(logged.filter((text) => text.includes('"digest" = $1'))).toHaveLength(2);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements
        where statement like '%"digest" = $1%'`.execute(db);
      expect(rows[0]?.n).toBe(1); // one after another, the queries reuse one pooled connection
      await sql`deallocate all`.execute(db);
      expect(await tokens.findByDigest("c")).toBeNull(); // prepared again through Kysely
    } finally {
      await db.destroy();
    }
  });

  it("onReserveConnection and onCreateConnection still run for the hot reads", async () => {
    let reserved = 0;
    let created = 0;
    const db = own({
      onReserveConnection: async () => {
        reserved++;
      },
      onCreateConnection: async () => {
        created++;
      },
    });
    try {
      const tokens = new KyselyTokenStore({ db });
      await sql`select 1`.execute(db);
      const before = reserved;
      await tokens.findByDigest("a");
      await tokens.findByDigest("b");
      expect(reserved).toBe(before + 2);
      expect(created).toBeGreaterThanOrEqual(1);
    } finally {
      await db.destroy();
    }
  });

  it("a destroyed instance: StoreUnavailable, never null", async () => {
    const db = own();
    const tokens = new KyselyTokenStore({ db });
    expect(await tokens.findByDigest("x")).toBeNull();
    await db.destroy();
    await expect(tokens.findByDigest("x")).rejects.toBeInstanceOf(StoreUnavailable);
  });

  it("50 parallel consume of one jti on a pool of 10: exactly one true", async () => {
    const db = database.connect(10);
    const store = new KyselyRevocationStore({ db });
    for (let round = 0; round < 5; round++) expect(await race(store, `pg-race-${round}`)).toBe(1);
  });
});
