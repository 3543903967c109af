/**
 * What the conformance suites do not cover: the user object (JSON, toUser, toRow), ids, pruning
 * sessions, table names, option checks, and the decoding of what each driver returns.
 */
import { sql } from "kysely";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import type {
  DefaultUser,
  RevocationStore,
  SessionStore,
  TokenStore,
  UserStore,
} from "../../../src/index.js";
import {
  KyselyRevocationStore,
  KyselySessionStore,
  KyselyTokenStore,
  type KyselyUserRow,
  KyselyUserStore,
  migrateToLatest,
} from "../../../src/stores/kysely/index.js";
import {
  type AnyDb,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
  sqliteDb,
} from "./databases.js";

const HASH = "pbkdf2_sha256$600000$c2FsdA$aGFzaA==";
const HOUR = 3_600_000;

function storeTests(fresh: (migrate?: boolean) => Promise<AnyDb>): void {
  it("implement the store interfaces; the default user is DefaultUser", async () => {
    const db = await fresh();
    expectTypeOf(new KyselyUserStore({ db })).toMatchTypeOf<UserStore<DefaultUser>>();
    expectTypeOf(new KyselyTokenStore({ db })).toMatchTypeOf<TokenStore>();
    expectTypeOf(new KyselySessionStore({ db })).toMatchTypeOf<SessionStore>();
    expectTypeOf(new KyselyRevocationStore({ db })).toMatchTypeOf<RevocationStore>();
  });

  it("keeps the user object as JSON: { id, username } by default, the caller's when given", async () => {
    const users = new KyselyUserStore<{ id: string; username: string; roles?: string[]; nested?: unknown }>({
      db: await fresh(),
    });
    const ada = await users.create({ username: "ada", passwordHash: HASH });
    expect(ada.user).toEqual({ id: ada.id, username: "ada" });
    expect((await users.findById(ada.id))?.user).toEqual({ id: ada.id, username: "ada" });
    const bob = await users.create({
      username: "bob",
      passwordHash: null,
      user: { id: "app-7", username: "bob", roles: ["admin"], nested: { a: [1, { b: "ü😀" }] } },
    });
    expect((await users.findByUsername("bob"))?.user).toEqual(bob.user);
    expect(bob.user).toEqual({
      id: "app-7",
      username: "bob",
      roles: ["admin"],
      nested: { a: [1, { b: "ü😀" }] },
    });
  });

  it("ids are random UUIDs by default, or what generateId makes", async () => {
    const db = await fresh();
    const record = await new KyselyUserStore({ db }).create({ username: "ada", passwordHash: HASH });
    expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    let next = 41;
    const sequential = new KyselyUserStore({ db, generateId: () => String(++next) });
    expect((await sequential.create({ username: "bob", passwordHash: HASH })).id).toBe("42");
    expect((await sequential.findById("42"))?.username).toBe("bob");
    const empty = new KyselyUserStore({ db, generateId: () => "" });
    await expect(empty.create({ username: "eve", passwordHash: HASH })).rejects.toThrow(TypeError);
  });

  it("toRow writes columns of your own and toUser builds the user from the whole row", async () => {
    const db = await fresh();
    await db.schema.alterTable("portcullis_users").addColumn("email", "text").execute();
    interface AppUser {
      id: string;
      email: string | null;
      active: boolean;
      joined: Date;
      lastLogin: Date | null;
    }
    const rows: KyselyUserRow[] = [];
    const users = new KyselyUserStore<AppUser>({
      db,
      toRow: (user, input) => ({ email: user?.email ?? `${input.username}@example.com` }),
      toUser: (row) => {
        rows.push(row);
        return {
          id: row.id,
          email: row.email as string | null,
          active: row.is_active,
          joined: row.created_at,
          lastLogin: row.last_login,
        };
      },
    });
    const before = Date.now();
    const created = await users.create({ username: "ada", passwordHash: HASH, isActive: false });
    expect(created.user).toEqual({
      id: created.id,
      email: "ada@example.com",
      active: false,
      joined: expect.any(Date),
      lastLogin: null,
    });
    expect(created.user.joined.getTime()).toBeGreaterThanOrEqual(before);
    expect(created.user.joined.getTime()).toBeLessThanOrEqual(Date.now());
    await users.updateLastLogin(created.id, new Date(1_700_000_000_123));
    const found = await users.findByUsername("ada");
    expect(found?.user.lastLogin).toEqual(new Date(1_700_000_000_123));
    expect(found?.user.email).toBe("ada@example.com");
    const row = rows.at(-1)!;
    expect(row).toMatchObject({
      username: "ada",
      password_hash: HASH,
      is_active: false,
      email: "ada@example.com",
    });
    expect(row.data).toEqual({ id: created.id, username: "ada" });
  });

  it("setPasswordHash and updateLastLogin throw for an unknown id", async () => {
    const users = new KyselyUserStore({ db: await fresh() });
    await expect(users.setPasswordHash("nobody", HASH)).rejects.toThrow('no user with id "nobody"');
    await expect(users.updateLastLogin("nobody", new Date())).rejects.toThrow('no user with id "nobody"');
    await expect(users.updateLastLogin("nobody", new Date(Number.NaN))).rejects.toThrow(TypeError);
  });

  it("prune deletes sessions whose idle or absolute expiry has passed, and counts them", async () => {
    const sessions = new KyselySessionStore({ db: await fresh() });
    const now = Date.now();
    const make = (label: string, idle: number, absolute: number) => ({
      idDigest: label.padEnd(64, "0"),
      userId: "1",
      createdAt: new Date(now - HOUR),
      expiresAt: new Date(now + idle),
      absoluteExpiresAt: new Date(now + absolute),
      data: {},
    });
    await sessions.create(make("a", -1, HOUR)); // idle expired
    await sessions.create(make("b", HOUR, -1)); // absolute expired
    await sessions.create(make("c", HOUR, 2 * HOUR)); // live
    await sessions.create(make("d", 0, HOUR)); // expires exactly now: gone
    expect(await sessions.prune(new Date(now))).toBe(3);
    expect(await sessions.get("c".padEnd(64, "0"))).not.toBeNull();
    expect(await sessions.prune(new Date(now))).toBe(0);
    expect(await sessions.prune(new Date(now + 3 * HOUR))).toBe(1);
  });

  it("use the table names they are given", async () => {
    const db = await fresh(false);
    const tables = {
      users: "app_users",
      tokens: "app_tokens",
      sessions: "app_sessions",
      revocations: "app_revocations",
      revokedFamilies: "app_revoked_families",
    };
    await migrateToLatest(db, { tables });
    const users = new KyselyUserStore({ db, tables });
    const tokens = new KyselyTokenStore({ db, tables });
    const sessions = new KyselySessionStore({ db, tables });
    const revocations = new KyselyRevocationStore({ db, tables });
    const ada = await users.create({ username: "ada", passwordHash: HASH });
    await tokens.save({
      digest: "e".repeat(64),
      userId: ada.id,
      name: null,
      createdAt: new Date(),
      expiresAt: null,
      lastUsedAt: null,
    });
    await sessions.create({
      idDigest: "f".repeat(64),
      userId: ada.id,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + HOUR),
      absoluteExpiresAt: new Date(Date.now() + HOUR),
      data: {},
    });
    await revocations.recordOutstanding({
      jti: "j",
      userId: ada.id,
      familyId: "f",
      expiresAt: new Date(Date.now() + HOUR),
    });
    expect(await revocations.revokeFamily("f")).toBe(1);
    const counts = await Promise.all(
      Object.values(tables).map(async (table) => {
        const row = await db
          .selectFrom(table)
          .select(sql<number>`count(*)`.as("n"))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      }),
    );
    expect(counts).toEqual([1, 1, 1, 1, 1]);
    // The default tables were never created.
    await expect(new KyselyTokenStore({ db }).findByDigest("e".repeat(64))).rejects.toThrow();
  });

  it("store times as epoch milliseconds and flags as 0/1", async () => {
    const db = await fresh();
    const revocations = new KyselyRevocationStore({ db });
    const expiresAt = new Date(Date.UTC(2030, 0, 1, 0, 0, 0, 789));
    await revocations.recordOutstanding({ jti: "j", userId: "1", familyId: null, expiresAt });
    const before = Date.now();
    await revocations.consume("j", expiresAt);
    const after = Date.now();
    const row = await db.selectFrom("portcullis_revocations").selectAll().executeTakeFirstOrThrow();
    const consumedAt = Number(row.consumed_at);
    expect(consumedAt).toBeGreaterThanOrEqual(before);
    expect(consumedAt).toBeLessThanOrEqual(after);
    expect({ ...row, expires_at: Number(row.expires_at), consumed_at: consumedAt }).toEqual({
      jti: "j",
      user_id: "1",
      family_id: null,
      expires_at: expiresAt.getTime(),
      recorded: 1,
      revoked: 0,
      consumed: 1,
      consumed_at: consumedAt,
    });
    expect(await revocations.consumedAt("j")).toEqual(new Date(consumedAt));
  });
}

describe("Kysely stores: options", () => {
  it("refuse a missing or wrong db, and bad table names", () => {
    for (const Store of [KyselyUserStore, KyselyTokenStore, KyselySessionStore, KyselyRevocationStore]) {
      expect(() => new Store({ db: undefined as never })).toThrow(TypeError);
      expect(() => new Store({ db: {} as never })).toThrow(/must be a Kysely instance/);
      expect(() => new Store({ db: sqliteDb(), tables: { tokens: "" } })).toThrow(/tables.tokens/);
    }
  });

  it("refuse bad arguments before asking the database", async () => {
    const db = sqliteDb();
    await migrateToLatest(db);
    const revocations = new KyselyRevocationStore({ db });
    const later = new Date(Date.now() + HOUR);
    await expect(revocations.consume("", later)).rejects.toThrow(TypeError);
    await expect(revocations.revoke("j", new Date(Number.NaN))).rejects.toThrow(TypeError);
    await expect(revocations.recordOutstanding(null as never)).rejects.toThrow(TypeError);
    await expect(
      revocations.recordOutstanding({ jti: "j", userId: "", familyId: null, expiresAt: later }),
    ).rejects.toThrow(/userId/);
    await expect(revocations.revokeFamily("")).rejects.toThrow(TypeError);
    await expect(revocations.revokeForUser("")).rejects.toThrow(TypeError);
    expect(await revocations.flushExpired()).toBe(0);
  });
});

describe("Kysely stores on SQLite", () => {
  const made: AnyDb[] = [];
  afterAll(async () => {
    await Promise.all(made.map((db) => db.destroy()));
  });
  // A fresh, migrated in-memory database per test.
  storeTests(async (migrate = true) => {
    const db = sqliteDb();
    made.push(db);
    if (migrate) await migrateToLatest(db);
    return db;
  });
});

const skip = await postgresSkipReason();

describe.skipIf(skip !== null)(
  `Kysely stores on PostgreSQL${skip === null ? "" : ` (skipped: ${skip})`}`,
  () => {
    const schemas: PostgresSchema[] = [];
    afterAll(async () => {
      await Promise.all(schemas.map((schema) => schema.drop()));
    });
    // A schema of its own per test: some tests add columns or migrate other table names.
    storeTests(async (migrate = true) => {
      const schema = await postgresSchema(4);
      schemas.push(schema);
      if (migrate) await migrateToLatest(schema.db);
      return schema.db;
    });
  },
);
