/**
 * A store's hot read (a token by digest, a user by id): built and compiled once, then run with new
 * parameters, directly on SQLite or the pg pool when PreparedSqliteDialect or PreparedPostgresDialect allows it.
 */
import { type CompiledQuery, createQueryId } from "kysely";
import type { PostgresShared } from "./postgres-shared.js";
import type { SqliteShared } from "./sqlite-dialect.js";
import type { AnyKysely } from "./tables.js";
import { guarded, unavailableOr } from "./unavailable.js";

/** What a portcullis dialect offers the queries its compiler compiles. @internal */
export interface FastPaths {
  sqlite?: SqliteShared;
  postgres?: PostgresShared;
}

/** SqliteShared.readFirst's "not now: go through Kysely". @internal */
export const NOT_NOW: unique symbol = Symbol("not now");

let capturing = false;
let captured: FastPaths | undefined;

/** Called by the portcullis dialects' compilers: while a HotQuery compiles, says whose it is. @internal */
export function announce(fast: FastPaths): void {
  if (capturing) captured = fast;
}

type Row = Record<string, unknown>;

/** One compiled select, run with fresh parameters; the first row or undefined. @internal */
export class HotQuery {
  readonly #db: AnyKysely;
  readonly #store: string;
  readonly #compiled: CompiledQuery;
  readonly #sqlite: SqliteShared | undefined;
  readonly #postgres: PostgresShared | undefined;

  /**
   * @param store - the store's name, for StoreUnavailable
   * @param db - the Kysely instance the query was built on
   * @param query - the query, built with placeholder parameters
   */
  constructor(store: string, db: AnyKysely, query: { compile(): CompiledQuery }) {
    this.#db = db;
    this.#store = store;
    capturing = true;
    captured = undefined;
    let fast: FastPaths | undefined;
    try {
      this.#compiled = query.compile();
      fast = captured as FastPaths | undefined; // set by announce() during compile()
    } finally {
      capturing = false;
      captured = undefined;
    }
    // A transaction's queries must run on its connection: only the root instance reads directly.
    this.#sqlite = db.isTransaction ? undefined : fast?.sqlite;
    this.#postgres = db.isTransaction ? undefined : fast?.postgres;
    fast?.postgres?.prepare(this.#compiled.sql);
  }

  /**
   * `map` of the first row for these parameters (as many, in the same order, as the query was built
   * with), or of undefined.
   */
  async first<T>(parameters: readonly unknown[], map: (row: Row | undefined) => T): Promise<T> {
    if (this.#postgres !== undefined) return this.#viaPool(this.#postgres, parameters, map);
    if (this.#sqlite === undefined) return this.#viaKysely(parameters, map);
    let found: unknown;
    try {
      found = this.#sqlite.readFirst(this.#compiled.sql, parameters);
    } catch (error) {
      throw unavailableOr(this.#store, error);
    }
    return found === NOT_NOW ? this.#viaKysely(parameters, map) : map(found as Row | undefined);
  }

  async #viaPool<T>(
    postgres: PostgresShared,
    parameters: readonly unknown[],
    map: (row: Row | undefined) => T,
  ): Promise<T> {
    const found = postgres.readFirst(this.#compiled.sql, parameters, this.#db);
    if (found === NOT_NOW) return this.#viaKysely(parameters, map);
    let row: unknown;
    try {
      row = await found;
    } catch (error) {
      throw unavailableOr(this.#store, error);
    }
    return map(row as Row | undefined);
  }

  async #viaKysely<T>(parameters: readonly unknown[], map: (row: Row | undefined) => T): Promise<T> {
    const query = { ...this.#compiled, parameters, queryId: createQueryId() };
    const { rows } = await guarded(this.#store, () => this.#db.executeQuery<Row>(query));
    return map(rows[0]);
  }
}
