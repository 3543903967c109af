/**
 * Kysely's `SqliteDatabase` over `node:sqlite`, the SQLite built into Deno 2 and Bun (and Node 22.5+).
 * The Deno and Bun examples use it because neither can load better-sqlite3: its native addon is built
 * on V8's own addon API (nan), not Node-API, which Deno refuses and Bun does not implement
 * (oven-sh/bun#4290).
 */
import type { SqliteDatabase } from "kysely";

// The part of node:sqlite used here; @types/node 20 has no node:sqlite.
interface StatementSync {
  all(...parameters: unknown[]): unknown[];
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...parameters: unknown[]): IterableIterator<unknown>;
  columns(): unknown[];
}
interface DatabaseSync {
  prepare(sql: string): StatementSync;
  close(): void;
}

/**
 * Opens a SQLite file (or `:memory:`) with `node:sqlite` for `new SqliteDialect({ database })`.
 *
 * @param file - the database file
 * @returns what Kysely's SqliteDialect drives
 * @example
 * ```ts
 * const db = new Kysely({ dialect: new SqliteDialect({ database: await openNodeSqlite("auth.db") }) });
 * ```
 */
export async function openNodeSqlite(file: string): Promise<SqliteDatabase> {
  const specifier = "node:sqlite"; // a variable, so tsc on Node 20's types does not look it up
  const { DatabaseSync } = (await import(specifier)) as { DatabaseSync: new (file: string) => DatabaseSync };
  const db = new DatabaseSync(file);
  return {
    close: () => db.close(),
    prepare(sql) {
      const statement = db.prepare(sql);
      return {
        // better-sqlite3's `reader`: the statement returns rows (a SELECT, or anything with RETURNING).
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...parameters),
        run: (parameters) => statement.run(...parameters),
        iterate: (parameters) => statement.iterate(...parameters),
      };
    },
  };
}
