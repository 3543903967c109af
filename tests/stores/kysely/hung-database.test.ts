/**
 * docs/stores.md's PostgreSQL pool sets statement_timeout and query_timeout, so that a hung database (here:
 * a transaction that holds the tokens table locked) answers 503 within the timeout instead of holding the
 * request (issue 17 item 23).
 */
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { obtainAuthToken } from "../../../src/endpoints/index.js";
import { hashPassword, MemoryUserStore, StoreUnavailable } from "../../../src/index.js";
import { KyselyTokenStore, migrateToLatest } from "../../../src/stores/kysely/index.js";
import {
  type AnyDb,
  PG_URL,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
  schemaPool,
} from "./databases.js";

const skip = await postgresSkipReason();

describe.skipIf(skip !== null)(`a hung PostgreSQL${skip === null ? "" : " (skipped)"}`, () => {
  let database: PostgresSchema;
  let locker: pg.Client;
  const extra: AnyDb[] = [];

  beforeAll(async () => {
    database = await postgresSchema(4);
    await migrateToLatest(database.db);
    // A transaction that never ends, holding the tokens table: every read and write of it waits.
    locker = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${database.schema}` });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE portcullis_tokens IN ACCESS EXCLUSIVE MODE");
  });
  afterAll(async () => {
    await locker?.query("ROLLBACK").catch(() => {});
    await locker?.end();
    for (const db of extra) await db.destroy();
    await database?.drop();
  });

  const storeWith = (overrides: pg.PoolConfig) => {
    const db: AnyDb = new Kysely({
      dialect: new PostgresDialect({ pool: schemaPool(database.schema, 2, overrides) }),
    });
    extra.push(db);
    return new KyselyTokenStore({ db });
  };

  it.each([
    ["statement_timeout (the server cancels it: 57014)", { statement_timeout: 300 }],
    ["query_timeout (the client gives up)", { query_timeout: 300 }],
  ])("with %s a blocked query is StoreUnavailable within the timeout", async (_, overrides) => {
    const store = storeWith(overrides);
    const started = performance.now();
    const error = await store.findByDigest("a".repeat(64)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it("a login whose token store hangs answers 503 with Retry-After, not a held request", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: await hashPassword("pw", { iterations: 1000 }) });
    const tokens = storeWith({ statement_timeout: 300, query_timeout: 1_000 });
    const login = obtainAuthToken({ users, tokens, passwords: { iterations: 1000 } });
    const response = await login(
      new Request("https://api.example.com/auth/token/", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "ada", password: "pw" }),
      }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.json()).toEqual({
      detail: "Service temporarily unavailable, try again later.",
      code: "service_unavailable",
    });
  });
});
