/**
 * A store's hot read (a token by digest, a user by id): built and compiled once, then run through Kysely
 * with new parameters, so a dialect that prepares statements by SQL text runs one statement each time.
 */
import { type CompiledQuery, createQueryId } from "kysely";
import { DirectReadAdapter, FREE_ONLY } from "./sqlite-dialect.js";
import type { AnyKysely } from "./tables.js";
import { unavailableOr } from "./unavailable.js";

type Row = Record<string, unknown>;

/** One compiled select, run with fresh parameters; the first row or undefined. @internal */
export class HotQuery {
  readonly #db: AnyKysely;
  readonly #store: string;
  readonly #compiled: CompiledQuery;
  /** PreparedSqliteDialect's direct reads, when on and no plugin or transaction needs Kysely's path. */
  readonly #direct: DirectReadAdapter | null;

  /**
   * @param store - the store's name, for StoreUnavailable
   * @param db - the Kysely instance the query was built on
   * @param query - the query, built with placeholder parameters
   */
  constructor(store: string, db: AnyKysely, query: { compile(): CompiledQuery }) {
    this.#db = db;
    this.#store = store;
    this.#compiled = query.compile();
    const executor = db.getExecutor();
    this.#direct =
      executor.adapter instanceof DirectReadAdapter && executor.plugins.length === 0 && !db.isTransaction
        ? executor.adapter
        : null;
  }

  /**
   * `map` of the first row for these parameters (as many, in the same order, as the query was built
   * with), or of undefined.
   */
  first<T>(parameters: readonly unknown[], map: (row: Row | undefined) => T): Promise<T> {
    if (this.#direct !== null) {
      let row: unknown;
      try {
        row = this.#direct.readNow(this.#compiled.sql, parameters);
      } catch (error) {
        return Promise.reject(unavailableOr(this.#store, error));
      }
      if (row !== FREE_ONLY) return Promise.resolve(map(row as Row | undefined));
    }
    // A fresh queryId: plugins key their per-query state by it.
    const query = { ...this.#compiled, parameters, queryId: createQueryId() };
    return this.#db.executeQuery<Row>(query).then(
      ({ rows }) => map(rows[0]),
      (error: unknown) => {
        throw unavailableOr(this.#store, error);
      },
    );
  }
}
