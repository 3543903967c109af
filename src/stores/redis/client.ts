/**
 * Talking to Redis: the structural client the stores need, their options, Lua scripts, and telling
 * "could not ask" (StoreUnavailable) from every other error.
 */
import type { AuthEvents } from "../../core/events.js";
import { NETWORK_ERROR_CODES } from "../network.js";

/**
 * The few Redis commands the stores send, as a structural type: an ioredis `Redis` or `Cluster`
 * satisfies it without portcullis importing ioredis, and so can a thin wrapper over another client.
 * Every multi-key write runs as one Lua script (`EVALSHA`, falling back to `EVAL` when the server has not
 * cached the script yet), so the stores need no `MULTI`.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import type { RedisClient } from "portcullis/redis";
 *
 * const client: RedisClient = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false });
 * ```
 */
export interface RedisClient {
  /** `HGETALL key`: every field of a hash, `{}` when the key is missing. */
  hgetall(key: string): Promise<Record<string, string>>;
  /** `HGET key field`: one field of a hash, `null` when it or the key is missing. */
  hget(key: string, field: string): Promise<string | null>;
  /** `EVALSHA sha1 numkeys key… arg…`: a cached script; rejects with `NOSCRIPT` when it is not cached. */
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  /** `EVAL script numkeys key… arg…`: runs a script and caches it. */
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  /**
   * `CONFIG GET parameter` (ioredis answers `[name, value]`): read once at start-up to check persistence
   * and eviction. Optional: without it, or where the server refuses CONFIG, the check says it could not.
   */
  config?(subcommand: "GET", parameter: string): Promise<unknown>;
}

/**
 * What every Redis store is built from.
 *
 * Create the client so that commands fail fast while Redis is down, or a request waits as long as the
 * outage lasts: `enableOfflineQueue: false` (ioredis otherwise queues commands until it reconnects) and a
 * bounded `maxRetriesPerRequest`; a `commandTimeout` also covers a server that stops answering.
 *
 * @example
 * ```ts
 * const client = new Redis(process.env.REDIS_URL!, {
 *   enableOfflineQueue: false,
 *   maxRetriesPerRequest: 1,
 *   commandTimeout: 2_000,
 *   lazyConnect: true,
 * });
 * await client.connect();
 * const options: RedisStoreOptions = { client, prefix: "myapp:auth:" };
 * ```
 */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` instance (or anything with the same commands). */
  client: RedisClient;
  /**
   * Put before every key the store writes (default `"portcullis:"`). Give each app or environment that
   * shares a Redis its own. On Redis Cluster, use a hash tag such as `"{portcullis}:"`: the stores' Lua
   * scripts touch several keys at once, and Cluster runs a script only when all its keys share one slot.
   * The client's own `keyPrefix` applies as well, in front of this one.
   */
  prefix?: string;
  /**
   * Where the start-up check of the server's settings reports (`storeWarning`); without it, `console.warn`.
   * The first store built on a client reads `appendonly` and `maxmemory-policy` once, when the client is
   * ready, and warns when they cannot keep logged-out and rotated tokens out (see {@link checkRedisDurability}).
   */
  events?: AuthEvents;
}

/** The default key prefix. */
/** The key prefix of every store unless its options give one. @internal */
export const DEFAULT_PREFIX = "portcullis:";

// ioredis's own errors for a connection that is closed, not ready, or gave up retrying.
const CLIENT_ERRORS = [
  /^Connection is closed\.?$/,
  /^Stream isn't writeable and enableOfflineQueue options is false/,
  /^Cluster isn't ready and enableOfflineQueue options is false/,
  /^None of startup nodes is available/,
  /^Failed to refresh slots cache/,
  /^Reached the max retries per request limit/,
  /^Command timed out/,
  /^Socket timeout/,
  /^connect ETIMEDOUT/,
];

// Server replies that mean "not now": loading the dataset, a script blocking the server, a replica that
// lost its master or became read-only in a failover, a cluster that is down or resharding, memory full.
// OOM: a full Redis under maxmemory-policy noeviction refuses writes (a script's write too).
const SERVER_ERRORS = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|OOM) /;

/**
 * Whether an error from the Redis client means Redis could not be asked: a refused, reset or timed-out
 * connection, ioredis's "Connection is closed.", its refusal to queue a command while disconnected
 * (`enableOfflineQueue: false`), `MaxRetriesPerRequestError`, a command timeout, or a server that is
 * loading, busy, read-only after a failover or a cluster that is down. `WRONGTYPE`, script errors and every
 * other answer from Redis are not. The Redis stores throw `StoreUnavailable` for exactly these; use it for
 * your own Redis commands.
 *
 * @param error - what the client threw (its `cause` chain is searched)
 * @returns true when the error means "could not ask"
 * @example
 * ```ts
 * try {
 *   return await client.get(`profile:${id}`);
 * } catch (error) {
 *   throw isConnectionError(error) ? new StoreUnavailable("profiles", { cause: error }) : error;
 * }
 * ```
 */
export function isConnectionError(error: unknown): boolean {
  // The error and its `cause` chain, six levels at most.
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth <= 5; depth++) {
    const { name, code, message, cause } = e as Record<string, unknown>;
    if (name === "MaxRetriesPerRequestError" || name === "ClusterAllFailedError") return true;
    if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return true;
    if (typeof message === "string") {
      if (CLIENT_ERRORS.some((pattern) => pattern.test(message)) || SERVER_ERRORS.test(message)) return true;
    }
    e = cause;
  }
  return false;
}

/**
 * Lua shared by the scripts. `now_ms` reads the server's clock, which also decides when keys expire;
 * `extend` never shortens a TTL and leaves a persistent or missing key alone.
 */
const HELPERS = `
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
local function extend(key, at, now)
  local ttl = redis.call('PTTL', key)
  if ttl >= 0 and now + ttl < at then redis.call('PEXPIREAT', key, at) end
end
`;

/** A Lua script run by its SHA-1 (`EVALSHA`), sent in full only when the server has not cached it. @internal */
export class Script {
  readonly #source: string;
  #sha: Promise<string> | undefined;

  constructor(body: string) {
    this.#source = HELPERS + body;
  }

  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    this.#sha ??= sha1(this.#source);
    const sha = await this.#sha;
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
      return client.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

async function sha1(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A Date as epoch milliseconds, refusing an invalid one before it reaches Redis. @internal */
export function epoch(date: unknown, store: string, name: string): number {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError(`${store}: ${name} must be a valid Date.`);
  }
  return date.getTime();
}

/** A stored epoch-milliseconds field as a Date, or an error naming the malformed key. @internal */
export function readDate(value: string | undefined, store: string, key: string): Date {
  const time = value === undefined ? Number.NaN : Number(value);
  if (!Number.isSafeInteger(time)) throw new Error(`${store}: the record at "${key}" is malformed.`);
  return new Date(time);
}
