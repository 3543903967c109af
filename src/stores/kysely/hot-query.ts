/**
 * A store's hot read (a token by digest, a user by id): built and compiled once, then run through Kysely
 * with new parameters, so a dialect that prepares statements by SQL text runs one statement each time.
 */
import { type CompiledQuery, createQueryId } from "kysely";
import type { AnyKysely } from "./tables.js";
import { unavailableOr } from "./unavailable.js";

type Row = Record<string, unknown>;

/** One compiled select, run with fresh parameters; the first row or undefined. @internal */
export class HotQuery {
  readonly #db: AnyKysely;
  readonly #store: string;
  readonly #compiled: CompiledQuery;

  /**
   * @param store - the store's name, for StoreUnavailable
   * @param db - the Kysely instance the query was built on
   * @param query - the query, built with placeholder parameters
   */
  constructor(store: string, db: AnyKysely, query: { compile(): CompiledQuery }) {
    this.#db = db;
    this.#store = store;
    this.#compiled = query.compile();
  }

  /**
   * `map` of the first row for these parameters (as many, in the same order, as the query was built
   * with), or of undefined.
   */
  first<T>(parameters: readonly unknown[], map: (row: Row | undefined) => T): Promise<T> {
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
