import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, type Migration, Migrator, NO_MIGRATIONS, SqliteDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_TABLE_NAMES,
  KyselyRevocationStore,
  KyselyThrottleStore,
  KyselyTokenStore,
  KyselyUserStore,
  migrateToLatest,
  PORTCULLIS_MIGRATION_TABLES,
  PortcullisMigrationProvider,
} from "../../../src/stores/kysely/index.js";
import {
  type AnyDb,
  admin,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
  sqliteDb,
} from "./databases.js";

const EXPECTED_TABLES = [
  ...Object.values(DEFAULT_TABLE_NAMES),
  ...Object.values(PORTCULLIS_MIGRATION_TABLES),
];
/** Every migration, in order. */
const MIGRATIONS = [
  "0001_portcullis_initial",
  "0002_portcullis_revocation_consumed_at",
  "0003_portcullis_throttles",
  "0004_portcullis_user_staff",
];
const EXPECTED_INDEXES = [
  "portcullis_tokens_user_id_idx",
  "portcullis_sessions_user_id_idx",
  "portcullis_sessions_expires_at_idx",
  "portcullis_revocations_user_id_idx",
  "portcullis_revocations_family_id_idx",
  "portcullis_revocations_expires_at_idx",
  "portcullis_throttles_key_idx",
  "portcullis_throttles_expires_at_idx",
];

/** Table and index names, and the indexed columns, as each database's catalogue reports them. */
interface Catalogue {
  tables(): Promise<string[]>;
  indexes(): Promise<Map<string, string>>; // name → definition
}

function sqliteCatalogue(db: AnyDb): Catalogue {
  return {
    async tables() {
      const { rows } = await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'table' order by name`.execute(db);
      return rows.map((row) => row.name);
    },
    async indexes() {
      const { rows } = await sql<{ name: string; sql: string | null }>`
        select name, sql from sqlite_master where type = 'index'`.execute(db);
      return new Map(rows.map((row) => [row.name, row.sql ?? "(automatic)"]));
    },
  };
}

function postgresCatalogue(db: AnyDb): Catalogue {
  return {
    async tables() {
      const { rows } = await sql<{ name: string }>`
        select table_name as name from information_schema.tables
        where table_schema = current_schema() order by table_name`.execute(db);
      return rows.map((row) => row.name);
    },
    async indexes() {
      const { rows } = await sql<{ name: string; definition: string }>`
        select indexname as name, indexdef as definition from pg_indexes
        where schemaname = current_schema()`.execute(db);
      return new Map(rows.map((row) => [row.name, row.definition]));
    },
  };
}

function migrationTests(fresh: () => Promise<{ db: AnyDb; catalogue: Catalogue }>): void {
  it("creates every table and index, then is a no-op", async () => {
    const { db, catalogue } = await fresh();
    const first = await migrateToLatest(db);
    expect(
      first.map(({ migrationName, direction, status }) => ({ migrationName, direction, status })),
    ).toEqual(MIGRATIONS.map((migrationName) => ({ migrationName, direction: "Up", status: "Success" })));
    expect(await catalogue.tables()).toEqual(expect.arrayContaining(EXPECTED_TABLES));
    expect(await catalogue.tables()).not.toContain("kysely_migration"); // the app's own migrations stay apart
    const indexes = await catalogue.indexes();
    for (const name of EXPECTED_INDEXES) expect(indexes.has(name), name).toBe(true);
    expect(indexes.get("portcullis_tokens_user_id_idx")).toMatch(
      /\(\s*"?user_id"?\s*,\s*"?created_at"?\s*\)/,
    );
    expect(indexes.get("portcullis_revocations_family_id_idx")).toMatch(/\(\s*"?family_id"?\s*\)/);
    expect(indexes.get("portcullis_throttles_key_idx")).toMatch(/\(\s*"?key_digest"?\s*,\s*"?hit_at"?\s*\)/);

    const before = { tables: await catalogue.tables(), indexes: [...indexes.keys()].sort() };
    expect(await migrateToLatest(db)).toEqual([]);
    expect(await migrateToLatest(db)).toEqual([]);
    expect({
      tables: await catalogue.tables(),
      indexes: [...(await catalogue.indexes()).keys()].sort(),
    }).toEqual(before);
  });

  it("keeps the data when run again", async () => {
    const { db } = await fresh();
    await migrateToLatest(db);
    const tokens = new KyselyTokenStore({ db });
    const record = {
      digest: "d".repeat(64),
      userId: "1",
      name: null,
      createdAt: new Date(1_700_000_000_123),
      expiresAt: null,
      lastUsedAt: null,
    };
    await tokens.save(record);
    await migrateToLatest(db);
    expect(await tokens.findByDigest(record.digest)).toEqual(record);
  });

  it("runs again over existing tables when its bookkeeping was lost (IF NOT EXISTS)", async () => {
    const { db, catalogue } = await fresh();
    await migrateToLatest(db);
    await db.schema.dropTable(PORTCULLIS_MIGRATION_TABLES.migrationTableName).execute();
    expect(await migrateToLatest(db)).toHaveLength(MIGRATIONS.length);
    expect(await catalogue.tables()).toEqual(expect.arrayContaining(EXPECTED_TABLES));
  });

  it("uses the table names it is given, and indexes named after them", async () => {
    const { db, catalogue } = await fresh();
    const tables = {
      users: "app_users",
      tokens: "app_tokens",
      sessions: "app_sessions",
      revocations: "app_revocations",
      revokedFamilies: "app_revoked_families",
      throttles: "app_throttles",
    };
    await migrateToLatest(db, { tables });
    const names = await catalogue.tables();
    expect(names).toEqual(expect.arrayContaining(Object.values(tables)));
    for (const table of Object.values(DEFAULT_TABLE_NAMES)) expect(names).not.toContain(table);
    expect((await catalogue.indexes()).has("app_tokens_user_id_idx")).toBe(true);
    const tokens = new KyselyTokenStore({ db, tables });
    expect(await tokens.listForUser("1")).toEqual([]);
  });

  it("does not disturb the application's own Kysely migrations, nor they it", async () => {
    const { db } = await fresh();
    const ownMigrations: Record<string, Migration> = {
      "2024_01_01_notes": {
        async up(trx) {
          await trx.schema
            .createTable("notes")
            .addColumn("id", "integer", (c) => c.primaryKey())
            .execute();
        },
      },
    };
    const own = new Migrator({ db, provider: { getMigrations: async () => ownMigrations } });
    expect((await own.migrateToLatest()).error).toBeUndefined();
    expect(await migrateToLatest(db)).toHaveLength(MIGRATIONS.length);
    const again = await own.migrateToLatest();
    expect(again.error).toBeUndefined();
    expect(again.results).toEqual([]);
  });

  it("migrates down with the provider and a Migrator of one's own", async () => {
    const { db, catalogue } = await fresh();
    await migrateToLatest(db);
    const migrator = new Migrator({
      db,
      provider: new PortcullisMigrationProvider(),
      ...PORTCULLIS_MIGRATION_TABLES,
    });
    expect((await migrator.migrateTo(NO_MIGRATIONS)).error).toBeUndefined();
    const names = await catalogue.tables();
    for (const table of Object.values(DEFAULT_TABLE_NAMES)) expect(names).not.toContain(table);
  });

  it("upgrades a database of 0001 in place: consumed_at added, rows kept, older consumes long ago", async () => {
    const { db } = await fresh();
    await migrateToLatest(db); // creates the bookkeeping in this schema, for the Migrator below
    const migrator = new Migrator({
      db,
      provider: new PortcullisMigrationProvider(),
      ...PORTCULLIS_MIGRATION_TABLES,
    });
    // Down to 0001: the column goes.
    expect((await migrator.migrateTo("0001_portcullis_initial")).error).toBeUndefined();
    const consumedAt = () =>
      db.selectFrom(DEFAULT_TABLE_NAMES.revocations).select("consumed_at").limit(1).execute();
    await expect(consumedAt()).rejects.toThrow(/consumed_at/);
    const expiresAt = Date.now() + 3_600_000;
    // What the store of 0001 wrote for a rotated token and an outstanding one.
    const row = { user_id: "1", family_id: "f", expires_at: expiresAt, recorded: 1, revoked: 0 };
    await db
      .insertInto(DEFAULT_TABLE_NAMES.revocations)
      .values([
        { jti: "old", ...row, consumed: 1 },
        { jti: "live", ...row, consumed: 0 },
      ])
      .execute();
    const ran = await migrateToLatest(db);
    expect(ran.map(({ migrationName, status }) => [migrationName, status])).toEqual([
      ["0002_portcullis_revocation_consumed_at", "Success"],
      ["0003_portcullis_throttles", "Success"],
      ["0004_portcullis_user_staff", "Success"],
    ]);
    await expect(consumedAt()).resolves.toEqual([{ consumed_at: null }]);
    const revocations = new KyselyRevocationStore({ db });
    expect(await revocations.consumedAt("old")).toEqual(new Date(0));
    expect(await revocations.consume("old", new Date(expiresAt))).toBe(false);
    expect(await revocations.consumedAt("live")).toBeNull();
    expect(await revocations.consume("live", new Date(expiresAt))).toBe(true);
    expect(Math.abs((await revocations.consumedAt("live"))!.getTime() - Date.now())).toBeLessThan(2_000);
    expect(await revocations.revokeFamily("f")).toBe(2);
  });

  it("upgrades a database of 0002 in place: the throttle table added, the other rows kept", async () => {
    const { db, catalogue } = await fresh();
    await migrateToLatest(db);
    const migrator = new Migrator({
      db,
      provider: new PortcullisMigrationProvider(),
      ...PORTCULLIS_MIGRATION_TABLES,
    });
    expect((await migrator.migrateTo("0002_portcullis_revocation_consumed_at")).error).toBeUndefined();
    expect(await catalogue.tables()).not.toContain(DEFAULT_TABLE_NAMES.throttles);
    const revocations = new KyselyRevocationStore({ db });
    await revocations.revoke("kept", new Date(Date.now() + 3_600_000));
    const ran = await migrateToLatest(db);
    expect(ran.map(({ migrationName, status }) => [migrationName, status])).toEqual([
      ["0003_portcullis_throttles", "Success"],
      ["0004_portcullis_user_staff", "Success"],
    ]);
    expect(await revocations.isRevoked("kept")).toBe(true);
    const throttles = new KyselyThrottleStore({ db });
    expect(await throttles.hit("k", 1, 60_000, 1_000)).toEqual({ allowed: true, count: 1, oldest: 1_000 });
    // And down again: the table goes, the rest stays.
    expect((await migrator.migrateTo("0002_portcullis_revocation_consumed_at")).error).toBeUndefined();
    expect(await catalogue.tables()).not.toContain(DEFAULT_TABLE_NAMES.throttles);
    expect(await revocations.isRevoked("kept")).toBe(true);
  });

  it("upgrades a database of 0003 in place: existing users are neither staff nor superuser", async () => {
    const { db } = await fresh();
    await migrateToLatest(db);
    const migrator = new Migrator({
      db,
      provider: new PortcullisMigrationProvider(),
      ...PORTCULLIS_MIGRATION_TABLES,
    });
    expect((await migrator.migrateTo("0003_portcullis_throttles")).error).toBeUndefined();
    await db
      .insertInto(DEFAULT_TABLE_NAMES.users)
      .values({ id: "1", username: "ada", password_hash: null, is_active: 1, created_at: 0, data: "{}" })
      .execute();
    const ran = await migrateToLatest(db);
    expect(ran.map(({ migrationName, status }) => [migrationName, status])).toEqual([
      ["0004_portcullis_user_staff", "Success"],
    ]);
    const users = new KyselyUserStore({ db });
    expect(await users.findById("1")).toMatchObject({ username: "ada", isStaff: false, isSuperuser: false });
    const admin = await users.create({
      username: "root",
      passwordHash: null,
      isStaff: true,
      isSuperuser: true,
    });
    expect(await users.findById(admin.id)).toMatchObject({ isStaff: true, isSuperuser: true });
    // And down again: the columns go, the users stay.
    expect((await migrator.migrateTo("0003_portcullis_throttles")).error).toBeUndefined();
    expect(await db.selectFrom(DEFAULT_TABLE_NAMES.users).select("username").execute()).toHaveLength(2);
  });
}

describe("migrateToLatest on SQLite", () => {
  migrationTests(async () => {
    const db = sqliteDb();
    return { db, catalogue: sqliteCatalogue(db) };
  });

  it("refuses bad table names before touching the database", async () => {
    const db = sqliteDb();
    await expect(migrateToLatest(db, { tables: { users: "" } })).rejects.toThrow(TypeError);
    expect(await sqliteCatalogue(db).tables()).toEqual([]);
  });

  it("throws an error that is no collision with another run at once, without trying again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "portcullis-readonly-"));
    try {
      const file = join(dir, "readonly.db");
      new Database(file).close();
      const statements: string[] = [];
      const db: AnyDb = new Kysely({
        dialect: new SqliteDialect({ database: new Database(file, { readonly: true }) }),
        log: (event) => {
          statements.push(event.query.sql);
        },
      });
      await expect(migrateToLatest(db)).rejects.toMatchObject({ code: "SQLITE_READONLY" });
      expect(statements.filter((statement) => /^create table/i.test(statement))).toHaveLength(1);
      await db.destroy();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const skip = await postgresSkipReason();

describe.skipIf(skip !== null)(
  `migrateToLatest on PostgreSQL${skip === null ? "" : ` (skipped: ${skip})`}`,
  () => {
    const schemas: PostgresSchema[] = [];
    afterAll(async () => {
      await Promise.all(schemas.map((schema) => schema.drop()));
    });

    migrationTests(async () => {
      const schema = await postgresSchema();
      schemas.push(schema);
      return { db: schema.db, catalogue: postgresCatalogue(schema.db) };
    });

    it("migrates a second schema of the same database (search_path), not only the first", async () => {
      const a = await postgresSchema();
      const b = await postgresSchema();
      schemas.push(a, b);
      expect(await migrateToLatest(a.db)).toHaveLength(MIGRATIONS.length);
      expect(await migrateToLatest(b.db)).toHaveLength(MIGRATIONS.length);
      expect(await postgresCatalogue(b.db).tables()).toEqual(expect.arrayContaining(EXPECTED_TABLES));
    });

    it("types the columns for PostgreSQL: bigint times, integer flags, text JSON", async () => {
      const schema = await postgresSchema();
      schemas.push(schema);
      await migrateToLatest(schema.db);
      const { rows } = await admin(
        `select table_name, column_name, data_type from information_schema.columns
       where table_schema = $1 and table_name like 'portcullis\\_%' order by table_name, column_name`,
        [schema.schema],
      );
      const types = Object.fromEntries(
        rows.map((row) => [`${row.table_name}.${row.column_name}`, row.data_type]),
      );
      expect(types).toMatchObject({
        "portcullis_users.created_at": "bigint",
        "portcullis_users.is_active": "integer",
        "portcullis_users.data": "text",
        "portcullis_tokens.expires_at": "bigint",
        "portcullis_sessions.data": "text",
        "portcullis_revocations.consumed": "integer",
        "portcullis_revoked_families.expires_at": "bigint",
        "portcullis_throttles.id": "bigint",
        "portcullis_throttles.key_digest": "text",
        "portcullis_throttles.hit_at": "bigint",
        "portcullis_throttles.expires_at": "bigint",
      });
    });

    describe("concurrent runs (several instances starting at once)", () => {
      let schema: PostgresSchema;
      beforeAll(async () => {
        schema = await postgresSchema();
        schemas.push(schema);
      });

      it("wait for each other on the migration lock: one runs the migration, the others find nothing to do", async () => {
        const instances = Array.from({ length: 4 }, () => schema.connect(2));
        const results = await Promise.all(instances.map((db) => migrateToLatest(db)));
        expect(results.map((ran) => ran.length).sort()).toEqual([0, 0, 0, MIGRATIONS.length]);
        expect(await postgresCatalogue(schema.db).tables()).toEqual(expect.arrayContaining(EXPECTED_TABLES));
      });
    });

    it("rethrows a migration's error", async () => {
      const schema = await postgresSchema();
      schemas.push(schema);
      // A table of that name, but not ours: IF NOT EXISTS keeps it, and the index on a missing column fails.
      await schema.db.schema.createTable("portcullis_tokens").addColumn("x", "text").execute();
      await expect(migrateToLatest(schema.db)).rejects.toMatchObject({ code: "42703" });
    });
  },
);
