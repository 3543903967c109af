import { afterAll, beforeAll, describe } from "vitest";
import { migrateToLatest } from "../../../src/stores/kysely/index.js";
import { conformance } from "./conformance.js";
import {
  type AnyDb,
  emptyTables,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
} from "./databases.js";

const skip = await postgresSkipReason();

// One schema for this file's run, migrated once; each test starts from empty tables.
describe.skipIf(skip !== null)(`PostgreSQL${skip === null ? "" : ` (skipped: ${skip})`}`, () => {
  let database: PostgresSchema;
  beforeAll(async () => {
    database = await postgresSchema(10);
    await migrateToLatest(database.db);
  });
  afterAll(async () => {
    await database?.drop();
  });

  conformance("PostgreSQL", async () => {
    await emptyTables(database.db);
    return { db: database.db };
  });
});

// The tables in a named schema through Kysely's withSchema, the connection's search_path left alone.
describe.skipIf(skip !== null)(`PostgreSQL through db.withSchema${skip === null ? "" : " (skipped)"}`, () => {
  let database: PostgresSchema;
  let db: AnyDb;
  beforeAll(async () => {
    database = await postgresSchema(10, { searchPath: false });
    db = database.db.withSchema(database.schema);
    await migrateToLatest(db, { migrationTableSchema: database.schema });
  });
  afterAll(async () => {
    await database?.drop();
  });

  conformance("PostgreSQL (withSchema)", async () => {
    await emptyTables(db);
    return { db };
  });
});

// portcullis's PreparedPostgresDialect: selects as named statements.
describe.skipIf(skip !== null)(
  `PostgreSQL, PreparedPostgresDialect${skip === null ? "" : " (skipped)"}`,
  () => {
    let database: PostgresSchema;
    beforeAll(async () => {
      database = await postgresSchema(10, { prepared: true });
      await migrateToLatest(database.db);
    });
    afterAll(async () => {
      await database?.drop();
    });

    conformance("PostgreSQL (PreparedPostgresDialect)", async () => {
      await emptyTables(database.db);
      return { db: database.db };
    });
  },
);
