/**
 * maxTokensPerUser on PostgreSQL across instances (issue 17 item 19: 12 of 20 concurrent logins got a
 * token with a limit of 1): two Kysely instances on two pools stand for two processes of the app.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenLogin } from "../../../src/endpoints/index.js";
import {
  hashPassword,
  MemoryUserStore,
  PermissionDenied,
  TokenAuthentication,
  type TokenStore,
} from "../../../src/index.js";
import { KyselyTokenStore, migrateToLatest } from "../../../src/stores/kysely/index.js";
import { type PostgresSchema, postgresSchema, postgresSkipReason, sqliteDb } from "./databases.js";

const skip = await postgresSkipReason();
const LIMIT_BODY = { detail: "Maximum amount of tokens allowed per user exceeded." };
// Issuing reads no user; the scheme needs a store to exist.
const limited = (tokens: TokenStore, maxTokensPerUser: number) =>
  new TokenAuthentication({ tokens, users: new MemoryUserStore(), maxTokensPerUser });

describe.skipIf(skip !== null)(`maxTokensPerUser on PostgreSQL${skip === null ? "" : " (skipped)"}`, () => {
  let database: PostgresSchema;
  let stores: KyselyTokenStore[];
  beforeAll(async () => {
    database = await postgresSchema(10);
    await migrateToLatest(database.db);
    stores = [new KyselyTokenStore({ db: database.db }), new KyselyTokenStore({ db: database.connect(10) })];
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("20 concurrent issues over two instances with a limit of 1 leave exactly 1 token, every round", async () => {
    for (let round = 0; round < 5; round++) {
      const user = `race-${round}`;
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => limited(stores[i % 2]!, 1).issue(user)),
      );
      const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason as unknown);
      expect(refused).toHaveLength(19);
      for (const error of refused) {
        expect(error).toBeInstanceOf(PermissionDenied);
        expect(error).toMatchObject({ status: 403, code: "token_limit_exceeded", detail: LIMIT_BODY.detail });
      }
      expect(await stores[0]!.listForUser(user)).toHaveLength(1);
    }
  });

  it("other users log in meanwhile: the per-user lock holds no one else up", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => limited(stores[i % 2]!, 1).issue(`solo-${i}`)),
    );
    expect(new Set(results.map((r) => r.record.userId)).size).toBe(20);
  });

  it("a store built on the app's own transaction saves within the limit inside it", async () => {
    const issued = await database.db.transaction().execute(async (trx) => {
      const scheme = limited(new KyselyTokenStore({ db: trx }), 1);
      const first = await scheme.issue("in-trx");
      const second = await scheme.issue("in-trx").catch((e: unknown) => e);
      expect(second).toBeInstanceOf(PermissionDenied);
      return first;
    });
    expect((await stores[1]!.listForUser("in-trx")).map((r) => r.digest)).toEqual([issued.record.digest]);
  });

  it("tokenLogin: 20 concurrent logins with a limit of 1 answer one 200 and nineteen 403s", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: await hashPassword("pw", { iterations: 1000 }) });
    const logins = stores.map((tokens) =>
      tokenLogin({ users, tokens, passwords: { iterations: 1000 }, maxTokensPerUser: 1 }),
    );
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const response = await logins[i % 2]!(
          new Request("https://api.example.com/auth/login/", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ username: "ada", password: "pw" }),
          }),
        );
        return { status: response.status, body: (await response.json()) as unknown };
      }),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toEqual(Array.from({ length: 19 }, () => ({ status: 403, body: LIMIT_BODY })));
    const ada = (await users.findByUsername("ada"))!;
    expect(await stores[1]!.listForUser(ada.id)).toHaveLength(1);
  });
});

describe("maxTokensPerUser on SQLite", () => {
  it("20 concurrent issues with a limit of 2 leave exactly 2 tokens", async () => {
    const db = sqliteDb();
    await migrateToLatest(db);
    const tokens = new KyselyTokenStore({ db });
    const scheme = limited(tokens, 2);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => scheme.issue("1")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect(await tokens.listForUser("1")).toHaveLength(2);
    await db.destroy();
  });
});
