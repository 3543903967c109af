/**
 * Telling "could not ask" from "asked, and the answer is an error": the first becomes StoreUnavailable.
 * And telling "asked, and the database says ask again" (a deadlock, a serialization failure): that is retried.
 */
import { StoreUnavailable } from "../../core/errors.js";
import { NETWORK_ERROR_CODES } from "../network.js";

// PostgreSQL SQLSTATEs (Appendix A) besides class 08 (connection exception): the server is shutting
// down, crashed, starting, out of connection slots, closed an idle session, or cancelled the statement.
const POSTGRES_CODES = new Set(["57P01", "57P02", "57P03", "57P05", "53300", "57014"]);

// SQLite result codes (https://sqlite.org/rescode.html): another writer holds the lock past the busy
// timeout, the file cannot be opened, or the disk failed. Extended codes share the prefix.
const SQLITE_PREFIXES = ["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR"];

// Errors that carry no code: pg's and pg-pool's, better-sqlite3's closed handle, Kysely's destroyed driver.
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Query read timeout/i,
  /connection error and is not queryable/i,
  /Cannot use a pool after calling end/i,
  /database connection is not open/i,
  /driver has already been destroyed/i,
];

/**
 * Whether a driver error means the database could not be asked: a refused, reset, timed-out or
 * terminated connection (pg, Node's sockets, PostgreSQL SQLSTATE class 08, 57P01 admin shutdown and
 * its kin), a busy, locked, unopenable or closed SQLite database (better-sqlite3), or a destroyed Kysely
 * instance. Constraint violations, syntax errors and every other answer from the database are not. The
 * Kysely stores throw {@link StoreUnavailable} for exactly these; use it for your own Kysely queries.
 *
 * @param error - what the driver threw (its `cause` chain and an AggregateError's `errors` are searched)
 * @returns true when the error means "could not ask"
 * @example
 * ```ts
 * try {
 *   return await db.selectFrom("profiles").selectAll().where("user_id", "=", id).executeTakeFirst();
 * } catch (error) {
 *   throw isConnectionError(error) ? new StoreUnavailable("profiles", { cause: error }) : error;
 * }
 * ```
 */
export function isConnectionError(error: unknown): boolean {
  return search(error, 0);
}

function search(error: unknown, depth: number): boolean {
  if (typeof error !== "object" || error === null || depth > 5) return false;
  const { code, message, errors, cause } = error as {
    code?: unknown;
    message?: unknown;
    errors?: unknown;
    cause?: unknown;
  };
  if (typeof code === "string" && matchesCode(code)) return true;
  if (typeof message === "string" && MESSAGES.some((pattern) => pattern.test(message))) return true;
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (Array.isArray(errors) && errors.some((inner) => search(inner, depth + 1))) return true;
  return search(cause, depth + 1);
}

function matchesCode(code: string): boolean {
  if (NETWORK_ERROR_CODES.has(code) || POSTGRES_CODES.has(code)) return true;
  if (/^08[0-9A-Z]{3}$/.test(code)) return true; // PostgreSQL class 08: connection exception
  return SQLITE_PREFIXES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}

/**
 * Runs one store operation: a connection error becomes {@link StoreUnavailable} with the driver's
 * error as `cause`; anything else is rethrown unchanged. @internal
 */
export async function guarded<T>(store: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw unavailableOr(store, error);
  }
}

/** What a store throws for `error`: StoreUnavailable for a connection error, else the error. @internal */
export function unavailableOr(store: string, error: unknown): unknown {
  return isConnectionError(error) ? new StoreUnavailable(store, { cause: error }) : error;
}

/**
 * PostgreSQL's deadlock_detected and serialization_failure: the statement was rolled back and may run
 * again. `revokeFamily` and `revokeForUser` lock many rows each, in whatever order their plans visit
 * them, so two of them overlapping (a family and a user sharing tokens) can deadlock.
 */
const RETRYABLE = new Set(["40P01", "40001"]);

/** Runs `operation`, again while it fails with a deadlock or serialization failure: three tries in all. @internal */
export async function retried<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (attempt >= 3 || typeof code !== "string" || !RETRYABLE.has(code)) throw error;
    }
  }
}
