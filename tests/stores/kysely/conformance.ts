/**
 * The five conformance suites from portcullis/testing against the Kysely stores on one database.
 */
import { describe, expect, it } from "vitest";
import {
  KyselyRevocationStore,
  KyselySessionStore,
  KyselyThrottleStore,
  KyselyTokenStore,
  KyselyUserStore,
} from "../../../src/stores/kysely/index.js";
import {
  testRevocationStore,
  testSessionStore,
  testThrottleStore,
  testTokenStore,
  testUserStore,
} from "../../../src/testing/index.js";
import type { AnyDb } from "./databases.js";

const t = { describe, it, expect };

/** A migrated, empty database for one test, and what undoes it. */
export type FreshDatabase = () => Promise<{ db: AnyDb; cleanup?: () => Promise<void> }>;

/** Registers every suite; `fresh` gives each test an empty, migrated database. */
export function conformance(label: string, fresh: FreshDatabase): void {
  const fixture =
    <Store>(make: (db: AnyDb) => Store) =>
    async () => {
      const { db, cleanup } = await fresh();
      return cleanup === undefined ? { store: make(db) } : { store: make(db), cleanup };
    };
  testUserStore(
    fixture((db) => new KyselyUserStore({ db })),
    t,
    { name: `KyselyUserStore on ${label}` },
  );
  testUserStore(
    fixture(
      (db) =>
        new KyselyUserStore<{ id: string; name: string }>({
          db,
          toUser: (row) => ({ id: row.id, name: row.username }),
        }),
    ),
    t,
    { name: `KyselyUserStore with toUser on ${label}` },
  );
  testTokenStore(
    fixture((db) => new KyselyTokenStore({ db })),
    t,
    { name: `KyselyTokenStore on ${label}` },
  );
  testSessionStore(
    fixture((db) => new KyselySessionStore({ db })),
    t,
    { name: `KyselySessionStore on ${label}` },
  );
  testRevocationStore(
    fixture((db) => new KyselyRevocationStore({ db })),
    t,
    { name: `KyselyRevocationStore on ${label}` },
  );
  testThrottleStore(
    fixture((db) => new KyselyThrottleStore({ db })),
    t,
    { name: `KyselyThrottleStore on ${label}` },
  );
}
