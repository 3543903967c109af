import { migrateToLatest } from "../../../src/stores/kysely/index.js";
import { conformance } from "./conformance.js";
import { preparedSqliteDb, sqliteDb } from "./databases.js";

// A fresh in-memory database per test: migrating one takes about a millisecond.
conformance("SQLite", async () => {
  const db = sqliteDb();
  await migrateToLatest(db);
  return { db, cleanup: () => db.destroy() };
});

conformance("SQLite (PreparedSqliteDialect)", async () => {
  const db = preparedSqliteDb();
  await migrateToLatest(db);
  return { db, cleanup: () => db.destroy() };
});
