/**
 * The demo's stores on SQLite: one file (default .data/demo.sqlite), created and migrated on first start.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import {
  KyselyRevocationStore,
  KyselySessionStore,
  KyselyTokenStore,
  KyselyUserStore,
  migrateToLatest,
} from "../../src/stores/kysely/index.js";
import type { DemoStores } from "./app.js";

/** Opens (creating and migrating when needed) the SQLite file and builds the four stores on it. */
export async function sqliteStores(file: string): Promise<{ stores: DemoStores; close: () => Promise<void> }> {
  mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma("journal_mode = WAL");
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  await migrateToLatest(db);
  return {
    stores: {
      users: new KyselyUserStore({ db }),
      tokens: new KyselyTokenStore({ db }),
      sessions: new KyselySessionStore({ db }),
      revocations: new KyselyRevocationStore({ db }),
    },
    close: () => db.destroy(),
  };
}
