/**
 * The direct reads of PreparedSqliteDialect: better-sqlite3 statements in raw mode, rows built here.
 * @internal
 */
import type { SqliteStatement } from "kysely";

/** What better-sqlite3's Statement has beyond Kysely's SqliteStatement. */
interface RawCapable {
  get(...parameters: unknown[]): unknown;
  raw(toggle: boolean): unknown;
  columns(): readonly { name: string }[];
}

/**
 * One select read many times: the first row of each run, as the same object better-sqlite3 would build.
 *
 * better-sqlite3 builds a row object in C++, looking each column's name up as a V8 string for every
 * row; in raw mode it hands the values over as an array, and the object built here from the names read
 * once costs less (~0.5 µs a row on Node 20). Only statements that name their columns are read this way
 * ({@link RowReaders}): their names cannot change under them (SQLite re-prepares a statement after a
 * schema change, and fails it if a named column is gone). The names are still read again if the count of
 * values changes, and the dialect drops every reader when its own connection runs a `create`, `alter` or
 * `drop`.
 *
 * @example
 * ```ts
 * const reader = RowReader.of(database.prepare('select "id", "username" from "portcullis_users" where "id" = ?'));
 * reader?.first(["1"]); // { id: 1, username: "ada" } or undefined
 * ```
 */
export class RowReader {
  readonly #statement: RawCapable;
  #names: readonly string[];

  private constructor(statement: RawCapable) {
    this.#statement = statement;
    statement.raw(true);
    this.#names = names(statement);
  }

  /**
   * A reader over a statement of its own (raw mode changes how it answers), or null when the statement
   * is not better-sqlite3's, or returns no rows.
   */
  static of(statement: SqliteStatement): RowReader | null {
    const candidate = statement as SqliteStatement & Partial<RawCapable>;
    if (
      !candidate.reader ||
      typeof candidate.get !== "function" ||
      typeof candidate.raw !== "function" ||
      typeof candidate.columns !== "function"
    ) {
      return null;
    }
    return new RowReader(candidate as SqliteStatement & RawCapable);
  }

  /** The first row for these parameters, or undefined. */
  first(parameters: readonly unknown[]): Record<string, unknown> | undefined {
    // One parameter bound as itself: better-sqlite3 walks an array argument through V8's API.
    const values = (
      parameters.length === 1 ? this.#statement.get(parameters[0]) : this.#statement.get(...parameters)
    ) as unknown[] | undefined;
    if (values === undefined) return undefined;
    if (values.length !== this.#names.length) this.#names = names(this.#statement);
    const columns = this.#names;
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
    return row;
  }
}

function names(statement: RawCapable): readonly string[] {
  return statement.columns().map((column) => column.name);
}

/**
 * The readers of one dialect, by SQL text: made once each, at most `max` (the oldest dropped first), all
 * dropped when the connection runs a `create`, `alter` or `drop`.
 *
 * @example
 * ```ts
 * const readers = new RowReaders(200, (sql) => database.prepare(sql));
 * readers.get('select "digest", "user_id" from "portcullis_tokens" where "digest" = ?')?.first(["d"]);
 * ```
 */
export class RowReaders {
  readonly #readers = new Map<string, RowReader | null>();
  readonly #max: number;
  readonly #prepare: (sql: string) => SqliteStatement;

  /**
   * @param max - how many to keep
   * @param prepare - prepares a statement of the reader's own
   */
  constructor(max: number, prepare: (sql: string) => SqliteStatement) {
    this.#max = max;
    this.#prepare = prepare;
  }

  /**
   * The reader for `sql`, or null when its statement is not read raw (read it as Kysely does): one that
   * selects `*` is not, because another connection can change the table's columns and keep their count
   * (drop one, add one), and a raw row would then put values under the names they had before.
   */
  get(sql: string): RowReader | null {
    let reader = this.#readers.get(sql);
    if (reader === undefined) {
      reader = sql.includes("*") ? null : RowReader.of(this.#prepare(sql));
      if (this.#readers.size >= this.#max) this.#readers.delete(this.#readers.keys().next().value as string);
      this.#readers.set(sql, reader);
    }
    return reader;
  }

  /** After SQL through the connection: a `create`, `alter` or `drop` may change a table's columns. */
  ran(sql: string): void {
    if (/^\s*(?:alter|drop|create)\b/i.test(sql)) this.#readers.clear();
  }

  /** Drops every reader. */
  clear(): void {
    this.#readers.clear();
  }
}
