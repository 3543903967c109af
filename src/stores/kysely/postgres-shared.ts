/**
 * What one PreparedPostgresDialect shares between its drivers and the stores' hot reads: the statements
 * it names, each pooled connection's names, and the direct reads on the pool.
 */
import type {
  DatabaseConnection,
  PostgresCursor,
  PostgresDialectConfig,
  PostgresPool,
  PostgresPoolClient,
  PostgresQueryResult,
} from "kysely";
import { NOT_NOW } from "./hot-query.js";
import type { AnyKysely } from "./tables.js";

/** At most this many statements are named per dialect; past it they are sent unnamed. */
const MAX_NAMED = 100;

/** Statement names, one per SQL text for the whole process, so two dialects on one pool agree. */
const names = new Map<string, string>();

/** The statements one dialect sends named, its connections, and its direct reads. @internal */
export class PostgresShared {
  readonly #named = new Set<string>();
  /** Each pooled connection's wrapper, which knows the names its statements have there. */
  readonly #clients = new WeakMap<object, NamingClient>();
  /** The application's pool, once Kysely's driver has resolved it. */
  #pool: PostgresPool | undefined;
  /** No `onCreateConnection` or `onReserveConnection`: a connection checked out directly misses nothing. */
  readonly #hookless: boolean;
  /** Set once Kysely has acquired and released a connection without wrapping it for its `log`. */
  #ready = false;
  #logged = false;
  #closed = false;
  /** The Kysely instances known to take a pooled connection per query (see #pooled). */
  readonly #pooledSeen = new WeakSet<AnyKysely>();
  /** Set while #pooled probes an instance: the driver then refuses the acquisition it sees. */
  #probing = false;
  #probed = false;

  constructor(config: PostgresDialectConfig) {
    this.#hookless = config.onCreateConnection === undefined && config.onReserveConnection === undefined;
  }

  /** Sends `sql` as a named statement from now on. */
  prepare(sql: string): void {
    if (this.#named.size >= MAX_NAMED || this.#named.has(sql)) return;
    if (!names.has(sql)) names.set(sql, `portcullis_${names.size + 1}`);
    this.#named.add(sql);
  }

  nameOf(sql: string): string | undefined {
    return this.#named.has(sql) ? names.get(sql) : undefined;
  }

  /** The pool Kysely's driver uses, each connection it hands out wrapped. */
  wrapPool(pool: PostgresPool): PostgresPool {
    this.#pool = pool;
    return {
      connect: async () => this.#wrap(await pool.connect()),
      end: () => pool.end(),
    };
  }

  #wrap(client: PostgresPoolClient): NamingClient {
    let wrapper = this.#clients.get(client);
    if (wrapper === undefined) {
      wrapper = new NamingClient(client as unknown as PgClient, this);
      this.#clients.set(client, wrapper);
    }
    return wrapper;
  }

  /** Kysely released `connection`: its driver is up, and the connection shows whether Kysely logs. */
  released(connection: DatabaseConnection): void {
    // Kysely's `log` option wraps the connection's executeQuery in place; the direct reads would miss it.
    if (Object.hasOwn(connection, "executeQuery")) this.#logged = true;
    this.#ready = true;
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Whether `db` takes a fresh pooled connection for each query (the root instance, or one made from it
   * by `withPlugin`, `withSchema`, …), not one fixed connection (`db.connection()`, whose session state,
   * `SET search_path` or a transaction begun by hand, the reads must see). Asked once Kysely is up: the
   * default connection provider then reaches this dialect's driver synchronously, which refuses the
   * probe's acquisition; a fixed connection's provider never does, and runs the probe's empty consumer
   * on its connection in turn. False when unsure (an instance whose driver Kysely has not started).
   */
  #pooled(db: AnyKysely): boolean {
    this.#probing = true;
    this.#probed = false;
    let probe: Promise<unknown>;
    try {
      probe = db.getExecutor().provideConnection(async () => undefined);
    } finally {
      this.#probing = false;
    }
    probe.catch(() => {}); // PROBE, or, on a fixed connection, nothing: the consumer does no work
    return this.#probed;
  }

  /** The driver is acquiring: during a probe, refuses (no connection is taken). */
  acquiring(): boolean {
    if (!this.#probing) return true;
    this.#probed = true;
    return false;
  }

  /**
   * The first row of a named read (or undefined), on a connection checked out of the pool directly,
   * as `pool.query` would, with the same statement names and stale-statement retry as through Kysely;
   * {@link NOT_NOW} when it must go through Kysely: not named here, Kysely not yet up or destroyed, a
   * connection hook or Kysely's `log` configured, or `db` bound to one connection (`db.connection()`).
   */
  readFirst(sql: string, parameters: readonly unknown[], db: AnyKysely): Promise<unknown> | typeof NOT_NOW {
    const name = this.nameOf(sql);
    const pool = this.#pool;
    if (
      name === undefined ||
      pool === undefined ||
      !this.#hookless ||
      !this.#ready ||
      this.#logged ||
      this.#closed
    ) {
      return NOT_NOW;
    }
    // Only a yes is kept: a root instance whose driver Kysely has not started yet answers no, once.
    if (!this.#pooledSeen.has(db)) {
      if (!this.#pooled(db)) return NOT_NOW;
      this.#pooledSeen.add(db);
    }
    return this.#read(pool, name, sql, parameters);
  }

  async #read(
    pool: PostgresPool,
    name: string,
    sql: string,
    parameters: readonly unknown[],
  ): Promise<unknown> {
    const client = await pool.connect();
    try {
      const { rows } = (await this.#wrap(client).named(name, sql, parameters)) as { rows: unknown[] };
      return rows[0];
    } finally {
      client.release();
    }
  }
}

/** pg's `client.query`, with the query config that Kysely's client interface leaves out. */
interface PgClient {
  query(...args: unknown[]): Promise<unknown>;
  release(destroy?: boolean): void;
}

// The server dropped the statement (DISCARD ALL, DEALLOCATE: SQLSTATE 26000), or a table it reads changed
// shape since it was prepared ("cached plan must not change result type", 0A000 from RevalidateCachedQuery).
function isStale(error: unknown): boolean {
  const { code, routine } = (error ?? {}) as { code?: unknown; routine?: unknown };
  return code === "26000" || (code === "0A000" && routine === "RevalidateCachedQuery");
}

let generations = 0;

/**
 * One pooled connection as Kysely's PostgresDriver sees it. Outside a transaction, the dialect's hot
 * reads go as named statements; inside one they go unnamed, so that a stale statement can always be
 * prepared again (in a transaction the failed attempt would have aborted it).
 */
class NamingClient implements PostgresPoolClient {
  readonly #client: PgClient;
  readonly #shared: PostgresShared;
  #inTransaction = false;
  /** Appended to every name once the server has forgotten or invalidated this connection's statements. */
  #suffix = "";

  constructor(client: PgClient, shared: PostgresShared) {
    this.#client = client;
    this.#shared = shared;
  }

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query(sql: unknown, parameters?: ReadonlyArray<unknown>): unknown {
    if (typeof sql !== "string") return this.#client.query(sql);
    const name = this.#inTransaction ? undefined : this.#shared.nameOf(sql);
    if (name === undefined) {
      this.#track(sql);
      return this.#client.query(sql, parameters);
    }
    return this.named(name, sql, parameters ?? []);
  }

  release(destroy?: boolean): void {
    this.#inTransaction = false;
    this.#client.release(destroy);
  }

  // Kysely's PostgresDriver opens and ends transactions with these statements (savepoints are "rollback to").
  #track(sql: string): void {
    if (/^\s*(begin|start\s+transaction)\b/i.test(sql)) this.#inTransaction = true;
    else if (/^\s*(commit|end|rollback(?!\s+to\b))\b/i.test(sql)) this.#inTransaction = false;
  }

  /** Runs the statement `name` (its text `text`) on this connection, prepared again under a new name if stale. */
  async named(name: string, text: string, values: ReadonlyArray<unknown>): Promise<unknown> {
    try {
      return await this.#client.query({ name: `${name}${this.#suffix}`, text, values });
    } catch (error) {
      if (!isStale(error)) throw error;
      // pg still counts the old names as parsed on this connection: prepare every statement again under
      // new ones (DISCARD ALL and DEALLOCATE ALL drop them all). Not in a transaction, so this can succeed.
      this.#suffix = `_${++generations}`;
      return await this.#client.query({ name: `${name}${this.#suffix}`, text, values });
    }
  }
}
