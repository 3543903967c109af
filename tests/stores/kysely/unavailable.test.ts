import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverError } from "../../../src/adapter-kit.js";
import { StoreUnavailable } from "../../../src/index.js";
import {
  isConnectionError,
  KyselyRevocationStore,
  KyselySessionStore,
  KyselyThrottleStore,
  KyselyTokenStore,
  KyselyUserStore,
  migrateToLatest,
  PreparedPostgresDialect,
} from "../../../src/stores/kysely/index.js";
import {
  type AnyDb,
  admin,
  PG_URL,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
  schemaPool,
  sqliteDb,
} from "./databases.js";
import { closedPort, startProxy } from "./proxy.js";

const HOUR = 3_600_000;
const later = (): Date => new Date(Date.now() + HOUR);

const token = (digest: string) => ({
  digest,
  userId: "1",
  name: null,
  createdAt: new Date(),
  expiresAt: null,
  lastUsedAt: null,
});
const session = (idDigest: string) => ({
  idDigest,
  userId: "1",
  createdAt: new Date(),
  expiresAt: later(),
  absoluteExpiresAt: later(),
  data: {},
});

/** Every method of every store, each a call that must reach the database. */
function everyOperation(db: AnyDb): [store: string, method: string, call: () => Promise<unknown>][] {
  const users = new KyselyUserStore({ db });
  const tokens = new KyselyTokenStore({ db });
  const sessions = new KyselySessionStore({ db });
  const revocations = new KyselyRevocationStore({ db });
  const throttles = new KyselyThrottleStore({ db });
  return [
    ["users", "create", () => users.create({ username: "ada", passwordHash: null })],
    ["users", "findByUsername", () => users.findByUsername("ada")],
    ["users", "findById", () => users.findById("1")],
    ["users", "setPasswordHash", () => users.setPasswordHash("1", "!")],
    ["users", "updateLastLogin", () => users.updateLastLogin("1", new Date())],
    ["tokens", "save", () => tokens.save(token("a".repeat(64)))],
    ["tokens", "findByDigest", () => tokens.findByDigest("a".repeat(64))],
    ["tokens", "delete", () => tokens.delete("a".repeat(64))],
    ["tokens", "deleteForUser", () => tokens.deleteForUser("1")],
    ["tokens", "listForUser", () => tokens.listForUser("1")],
    ["tokens", "touch", () => tokens.touch("a".repeat(64), { lastUsedAt: new Date() })],
    ["sessions", "create", () => sessions.create(session("s".repeat(64)))],
    ["sessions", "get", () => sessions.get("s".repeat(64))],
    ["sessions", "touch", () => sessions.touch("s".repeat(64), later())],
    ["sessions", "delete", () => sessions.delete("s".repeat(64))],
    ["sessions", "deleteForUser", () => sessions.deleteForUser("1")],
    ["sessions", "prune", () => sessions.prune()],
    [
      "revocations",
      "recordOutstanding",
      () => revocations.recordOutstanding({ jti: "j", userId: "1", familyId: "f", expiresAt: later() }),
    ],
    ["revocations", "isRevoked", () => revocations.isRevoked("j")],
    ["revocations", "revoke", () => revocations.revoke("j", later())],
    ["revocations", "consume", () => revocations.consume("j", later())],
    ["revocations", "consumedAt", () => revocations.consumedAt("j")],
    ["revocations", "revokeFamily", () => revocations.revokeFamily("f")],
    ["revocations", "revokeForUser", () => revocations.revokeForUser("1")],
    ["revocations", "flushExpired", () => revocations.flushExpired()],
    ["throttles", "hit", () => throttles.hit("k", 5, HOUR, Date.now())],
    ["throttles", "peek", () => throttles.peek("k", 5, HOUR, Date.now())],
    ["throttles", "reset", () => throttles.reset("k")],
    ["throttles", "prune", () => throttles.prune()],
  ];
}

/** Awaits a rejection and returns it. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

async function expectUnavailable(promise: Promise<unknown>, store: string): Promise<StoreUnavailable> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(StoreUnavailable);
  expect((error as StoreUnavailable).store).toBe(store);
  expect(isConnectionError((error as StoreUnavailable).cause)).toBe(true);
  return error as StoreUnavailable;
}

describe("isConnectionError", () => {
  const coded = (code: string, message = "x"): Error => Object.assign(new Error(message), { code });

  it.each([
    ["ECONNREFUSED", coded("ECONNREFUSED")],
    ["ECONNRESET", coded("ECONNRESET")],
    ["ETIMEDOUT", coded("ETIMEDOUT")],
    ["ENOTFOUND", coded("ENOTFOUND")],
    ["EPIPE", coded("EPIPE")],
    ["pg: Connection terminated unexpectedly", new Error("Connection terminated unexpectedly")],
    [
      "pg: Connection terminated due to connection timeout",
      new Error("Connection terminated due to connection timeout"),
    ],
    [
      "pg-pool: timeout exceeded when trying to connect",
      new Error("timeout exceeded when trying to connect"),
    ],
    ["pg: Query read timeout", new Error("Query read timeout")],
    ["pg-pool: ended", new Error("Cannot use a pool after calling end on the pool")],
    ["57P01 admin_shutdown", coded("57P01", "terminating connection due to administrator command")],
    ["57P02 crash_shutdown", coded("57P02")],
    ["57P03 cannot_connect_now", coded("57P03", "the database system is starting up")],
    ["53300 too_many_connections", coded("53300")],
    ["08006 connection_failure", coded("08006")],
    ["08001 sqlclient_unable_to_establish_sqlconnection", coded("08001")],
    ["08P01 protocol_violation", coded("08P01")],
    ["SQLITE_BUSY", coded("SQLITE_BUSY", "database is locked")],
    ["SQLITE_BUSY_SNAPSHOT", coded("SQLITE_BUSY_SNAPSHOT")],
    ["SQLITE_LOCKED", coded("SQLITE_LOCKED")],
    ["SQLITE_CANTOPEN", coded("SQLITE_CANTOPEN", "unable to open database file")],
    ["SQLITE_IOERR_READ", coded("SQLITE_IOERR_READ")],
    ["better-sqlite3: closed", new TypeError("The database connection is not open")],
    ["Kysely: destroyed", new Error("driver has already been destroyed")],
    [
      "AggregateError of refusals (localhost on ::1 and 127.0.0.1)",
      Object.assign(new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")]), {
        code: "ECONNREFUSED",
      }),
    ],
    ["AggregateError without a code", new AggregateError([new Error("other"), coded("ECONNREFUSED")])],
    ["in the cause chain", new Error("wrapped", { cause: new Error("w2", { cause: coded("ECONNRESET") }) })],
  ])("true for %s", (_name, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it.each([
    ["23505 unique_violation", coded("23505", 'duplicate key value violates unique constraint "x_pkey"')],
    ["23502 not_null_violation", coded("23502")],
    ["42P01 undefined_table", coded("42P01", 'relation "portcullis_tokens" does not exist')],
    ["42601 syntax_error", coded("42601")],
    ["40001 serialization_failure", coded("40001")],
    ["22P02 invalid_text_representation", coded("22P02")],
    ["SQLITE_CONSTRAINT_PRIMARYKEY", coded("SQLITE_CONSTRAINT_PRIMARYKEY", "UNIQUE constraint failed")],
    ["SQLITE_CONSTRAINT_UNIQUE", coded("SQLITE_CONSTRAINT_UNIQUE")],
    ["SQLITE_ERROR (no such table)", coded("SQLITE_ERROR", "no such table: portcullis_tokens")],
    ["SQLITE_BUSYX (not a BUSY code)", coded("SQLITE_BUSYX")],
    ["0800 (not a SQLSTATE)", coded("0800")],
    ["a TypeError", new TypeError("x is not a function")],
    ["a plain Error", new Error("boom")],
    ["a string", "ECONNREFUSED"],
    ["null", null],
    ["undefined", undefined],
    ["a code that is not a string", { code: 57 }],
    [
      "a cycle of causes",
      (() => {
        const a: { cause?: unknown; message: string } = { message: "a" };
        a.cause = { message: "b", cause: a };
        return a;
      })(),
    ],
  ])("false for %s", (_name, error) => {
    expect(isConnectionError(error)).toBe(false);
  });
});

describe("StoreUnavailable on SQLite", () => {
  it("every method of every store, on a closed database", async () => {
    const database = new Database(":memory:");
    const db = new Kysely({ dialect: new SqliteDialect({ database }) });
    await migrateToLatest(db);
    database.close();
    for (const [store, method, call] of everyOperation(db)) {
      const error = await expectUnavailable(call(), store);
      expect(String((error.cause as Error).message), method).toMatch(/not open/);
    }
  });

  it("on a destroyed Kysely instance", async () => {
    const db = sqliteDb();
    await migrateToLatest(db);
    await db.destroy();
    await expectUnavailable(new KyselyTokenStore({ db }).findByDigest("x"), "tokens");
  });

  describe("on a database another connection has locked, then recovered when it lets go", () => {
    let dir: string;
    beforeAll(async () => {
      const { mkdtemp } = await import("node:fs/promises");
      const { tmpdir } = await import("node:os");
      const { join } = await import("node:path");
      dir = await mkdtemp(join(tmpdir(), "portcullis-sqlite-"));
    });
    afterAll(async () => {
      const { rm } = await import("node:fs/promises");
      await rm(dir, { recursive: true, force: true });
    });

    it("SQLITE_BUSY becomes StoreUnavailable; the same store answers afterwards", async () => {
      const file = `${dir}/busy.db`;
      const db = sqliteDb(file, { timeout: 0 });
      await migrateToLatest(db);
      const revocations = new KyselyRevocationStore({ db });
      const other = new Database(file);
      other.exec("BEGIN EXCLUSIVE");
      const error = await expectUnavailable(revocations.consume("j", later()), "revocations");
      expect((error.cause as { code: string }).code).toMatch(/^SQLITE_BUSY/);
      await expectUnavailable(new KyselyThrottleStore({ db }).hit("k", 1, HOUR, Date.now()), "throttles");
      other.exec("COMMIT");
      other.close();
      expect(await revocations.consume("j", later())).toBe(true);
      await db.destroy();
    });
  });

  it("does not turn a constraint violation into StoreUnavailable", async () => {
    const db = sqliteDb();
    await migrateToLatest(db);
    const tokens = new KyselyTokenStore({ db });
    await tokens.save(token("a".repeat(64)));
    const error = await rejection(tokens.save(token("a".repeat(64))));
    expect(error).not.toBeInstanceOf(StoreUnavailable);
    expect(error).toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    const users = new KyselyUserStore({ db });
    await users.create({ username: "ada", passwordHash: null });
    expect(await rejection(users.create({ username: "ada", passwordHash: null }))).toMatchObject({
      code: "SQLITE_CONSTRAINT_UNIQUE",
    });
  });

  it("does not turn a missing table (not migrated) into StoreUnavailable", async () => {
    const db = sqliteDb();
    const error = await rejection(new KyselyTokenStore({ db }).findByDigest("x"));
    expect(error).not.toBeInstanceOf(StoreUnavailable);
    expect(error).toMatchObject({ code: "SQLITE_ERROR" });
  });
});

const skip = await postgresSkipReason();

// Kysely's dialect, and ours, whose driver names its selects per connection.
const DIALECTS = [
  ["PostgresDialect", PostgresDialect],
  ["PreparedPostgresDialect", PreparedPostgresDialect],
] as const;

describe.skipIf(skip !== null)(
  `StoreUnavailable on PostgreSQL${skip === null ? "" : ` (skipped: ${skip})`}`,
  () => {
    let database: PostgresSchema;
    const target = new URL(PG_URL);
    const urlOn = (port: number): string => {
      const url = new URL(PG_URL);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    };
    const dbOn = (port: number, Dialect = PostgresDialect): AnyDb =>
      new Kysely({
        dialect: new Dialect({
          pool: schemaPool(database.schema, 4, {
            connectionString: urlOn(port),
            connectionTimeoutMillis: 2000,
          }),
        }),
      });

    beforeAll(async () => {
      database = await postgresSchema();
      await migrateToLatest(database.db);
    });
    afterAll(async () => {
      await database?.drop();
    });

    it("every method of every store, when the connection is refused", async () => {
      const db = dbOn(await closedPort());
      try {
        for (const [store, , call] of everyOperation(db)) {
          const error = await expectUnavailable(call(), store);
          expect(error.cause).toMatchObject({ code: "ECONNREFUSED" });
          expect(error.message).toBe(`The ${store} store is unavailable.`);
        }
      } finally {
        await db.destroy();
      }
    });

    it("answers 503 through serverError, as the adapters and endpoints do", async () => {
      const db = dbOn(await closedPort());
      try {
        const error = await rejection(new KyselyTokenStore({ db }).findByDigest("x"));
        expect(serverError(error)).toMatchObject({ status: 503, body: { code: "service_unavailable" } });
      } finally {
        await db.destroy();
      }
    });

    it("does not turn a constraint violation into StoreUnavailable", async () => {
      const tokens = new KyselyTokenStore({ db: database.db });
      await tokens.save(token("c".repeat(64)));
      const duplicate = await rejection(tokens.save(token("c".repeat(64))));
      expect(duplicate).not.toBeInstanceOf(StoreUnavailable);
      expect(duplicate).toMatchObject({ code: "23505" });
      const users = new KyselyUserStore({ db: database.db });
      await users.create({ username: "unique-ada", passwordHash: null });
      expect(await rejection(users.create({ username: "unique-ada", passwordHash: null }))).toMatchObject({
        code: "23505",
      });
      const sessions = new KyselySessionStore({ db: database.db });
      await sessions.create(session("t".repeat(64)));
      const again = await rejection(sessions.create(session("t".repeat(64))));
      expect(again).not.toBeInstanceOf(StoreUnavailable);
      expect(again).toMatchObject({ code: "23505" });
    });

    it.each(DIALECTS)(
      "loses the connection when the server goes away, and recovers by itself when it returns (%s)",
      async (name, Dialect) => {
        const jti = `proxy-jti-${name}`;
        const proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
        const db = dbOn(proxy.port, Dialect);
        const revocations = new KyselyRevocationStore({ db });
        const tokens = new KyselyTokenStore({ db });
        const throttles = new KyselyThrottleStore({ db });
        try {
          expect(await revocations.revoke(jti, later())).toBe(true);
          expect(await throttles.hit(jti, 1, HOUR, Date.now())).toMatchObject({ allowed: true });
          expect(await tokens.findByDigest("x")).toBeNull();

          await proxy.cut(); // pooled connections are reset, new ones refused
          for (let i = 0; i < 3; i++) {
            await expectUnavailable(revocations.isRevoked(jti), "revocations");
            await expectUnavailable(tokens.findByDigest("x"), "tokens");
          }
          // Never "not revoked", nor "allowed", for "could not ask".
          await expectUnavailable(revocations.consume(jti, later()), "revocations");
          await expectUnavailable(throttles.hit(jti, 1, HOUR, Date.now()), "throttles");

          await proxy.restore();
          expect(await revocations.isRevoked(jti)).toBe(true);
          expect(await throttles.hit(jti, 1, HOUR, Date.now())).toMatchObject({ allowed: false, count: 1 });
          expect(await tokens.findByDigest("x")).toBeNull();
        } finally {
          await db.destroy();
          await proxy.cut();
        }
      },
    );

    it.each(DIALECTS)(
      "classifies a real 57P01 (pg_terminate_backend) as unavailable, and the pool reconnects (%s)",
      async (_, Dialect) => {
        const db = dbOn(Number(target.port || 5432), Dialect);
        const tokens = new KyselyTokenStore({ db });
        try {
          const sleeping = rejection(
            sql`select pg_sleep(30) as slept, 'portcullis-terminate-me' as tag`.execute(db),
          );
          // Wait for the backend to show up, then terminate it as an administrator would.
          let terminated = 0;
          for (let i = 0; i < 100 && terminated === 0; i++) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            const { rows } = await admin(
              `select pg_terminate_backend(pid) as done from pg_stat_activity
           where query like '%portcullis-terminate-me%' and pid <> pg_backend_pid() and query not like '%pg_stat_activity%'`,
            );
            terminated = rows.filter((row) => row.done === true).length;
          }
          expect(terminated).toBe(1);
          const error = await sleeping;
          expect(error).toMatchObject({ code: "57P01" });
          expect(isConnectionError(error)).toBe(true);
          // The terminated client may go back to the pool before its socket's end is read, and be handed
          // out once more: that call is StoreUnavailable, never a wrong answer. The pool then drops it.
          const next = await tokens.findByDigest("x").catch((failure: unknown) => failure);
          if (next !== null) expect(next).toBeInstanceOf(StoreUnavailable);
          expect(await tokens.findByDigest("x")).toBeNull();
        } finally {
          await db.destroy();
        }
      },
    );
  },
);
