/**
 * Talking to Redis: the structural client the stores need, their options, Lua scripts, and telling
 * "could not ask" (StoreUnavailable) from every other error.
 */
import { StoreUnavailable } from "../../core/errors.js";
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
const DEFAULT_PREFIX = "portcullis:";

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

/**
 * What a Redis store is built on: the client, the key prefix, and its name for StoreUnavailable. The first
 * store built on a client starts the check of the server's settings. @internal
 */
export class StoreClient {
  readonly prefix: string;
  readonly #client: RedisClient;
  readonly #store: string;

  constructor(options: RedisStoreOptions, store: string) {
    this.#client = options.client;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#store = store;
    checkServerOnce(this.#client, options.events);
  }

  /** `<prefix><kind>:<id>`: a row (`token:<digest>`) or an index (`token-user:<userId>`). */
  key(kind: string, id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }

  /**
   * Sends commands: a connection error becomes {@link StoreUnavailable} with the client's error as
   * `cause`; anything else (a bug, a `WRONGTYPE` key) is rethrown unchanged.
   */
  async send<T>(commands: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await commands(this.#client);
    } catch (error) {
      if (isConnectionError(error)) throw new StoreUnavailable(this.#store, { cause: error });
      throw error;
    }
  }

  /** Runs a script, as {@link StoreClient.send} sends a command. */
  run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.send((client) => script.run(client, keys, args));
  }

  /** Deletes a row of `kind` (`"token"`, `"session"`) and its entry in its owner's index, in one step. */
  async deleteRow(kind: string, id: string): Promise<boolean> {
    return (await this.run(DELETE_ROW, [this.prefix, this.key(kind, id)], [id, kind])) === 1;
  }

  /** Deletes every row of `kind` of a user, and the user's index; how many rows went. */
  async deleteRowsForUser(kind: string, userId: string): Promise<number> {
    const index = this.key(`${kind}-user`, userId);
    return Number(await this.run(DELETE_ROWS_FOR_USER, [this.prefix, index], [userId, kind]));
  }
}

// KEYS: prefix, row. ARGV: digest, kind.
const DELETE_ROW = new Script(`
local user = redis.call('HGET', KEYS[2], 'userId')
if not user then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1] .. ARGV[2] .. '-user:' .. user, ARGV[1])
return 1
`);

// KEYS: prefix, index. ARGV: userId, kind.
const DELETE_ROWS_FOR_USER = new Script(`
local count = 0
for _, digest in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local row = KEYS[1] .. ARGV[2] .. ':' .. digest
  if redis.call('HGET', row, 'userId') == ARGV[1] then
    redis.call('DEL', row)
    count = count + 1
  end
end
redis.call('DEL', KEYS[2])
return count
`);

/**
 * What {@link checkRedisDurability} read, and what it warns of.
 *
 * @example
 * ```ts
 * const durability: RedisDurability = await checkRedisDurability(client);
 * durability.appendonly; // "yes"
 * durability.warnings; // []
 * ```
 */
export interface RedisDurability {
  /** `appendonly` as the server reports it (`"yes"`, `"no"`), or `null` when it could not be read. */
  appendonly: string | null;
  /** `maxmemory-policy` as the server reports it (`"noeviction"`, …), or `null` when it could not be read. */
  maxmemoryPolicy: string | null;
  /** One sentence per setting that breaks the stores' promises, or why the settings could not be read. */
  warnings: string[];
}

/**
 * Reads the two settings a Redis token or revocation store relies on and says which cannot hold:
 *
 * - `appendonly` must be `yes` (AOF). Without it a restart loses the writes since the last RDB snapshot,
 *   or all of them: a revoked or rotated refresh token, or a deleted opaque token, is accepted again.
 * - `maxmemory-policy` must be `noeviction`. Any other policy lets Redis drop keys under memory pressure,
 *   and a dropped revocation row lets its token back in; with `noeviction` a full Redis refuses writes
 *   instead (answered 503).
 *
 * A server that refuses `CONFIG` (managed Redis often does) or a client without `config` gives a
 * single warning that the settings could not be checked. The stores run it once per client by themselves;
 * call it yourself for a health check.
 *
 * @param client - the client the stores use
 * @returns the two settings and the warnings, empty when both hold
 * @throws StoreUnavailable when Redis cannot be reached
 * @example
 * ```ts
 * const { warnings } = await checkRedisDurability(client);
 * for (const warning of warnings) log.warn(warning);
 * ```
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/
 */
export async function checkRedisDurability(client: RedisClient): Promise<RedisDurability> {
  if (typeof client.config !== "function") return unchecked("the client has no config command");
  let appendonly: string | null;
  let maxmemoryPolicy: string | null;
  try {
    appendonly = configValue(await client.config("GET", "appendonly"));
    maxmemoryPolicy = configValue(await client.config("GET", "maxmemory-policy"));
  } catch (error) {
    if (isConnectionError(error)) throw new StoreUnavailable("redis", { cause: error });
    return unchecked(`CONFIG GET was refused: ${error instanceof Error ? error.message : String(error)}`);
  }
  const warnings: string[] = [];
  if (appendonly === null || maxmemoryPolicy === null) {
    warnings.push(uncheckedWarning("CONFIG GET answered no value"));
  }
  if (appendonly !== null && appendonly !== "yes") {
    warnings.push(
      `Redis runs with appendonly ${appendonly}: a restart loses the writes since the last snapshot (or all of them), and logged-out, revoked and rotated tokens are accepted again. Set appendonly yes (AOF).`,
    );
  }
  if (maxmemoryPolicy !== null && maxmemoryPolicy !== "noeviction") {
    warnings.push(
      `Redis runs with maxmemory-policy ${maxmemoryPolicy}: under memory pressure it evicts keys, and an evicted revocation lets its token back in. Set maxmemory-policy noeviction.`,
    );
  }
  return { appendonly, maxmemoryPolicy, warnings };
}

function unchecked(reason: string): RedisDurability {
  return { appendonly: null, maxmemoryPolicy: null, warnings: [uncheckedWarning(reason)] };
}

function uncheckedWarning(reason: string): string {
  return `The Redis stores could not check the server's persistence and eviction settings (${reason}). Make sure it runs with appendonly yes and maxmemory-policy noeviction, or revoked tokens can come back after a restart or an eviction.`;
}

// ioredis answers CONFIG GET with [name, value] (RESP2) or { name: value } (RESP3).
function configValue(answer: unknown): string | null {
  if (Array.isArray(answer)) return typeof answer[1] === "string" ? answer[1] : null;
  if (typeof answer === "object" && answer !== null) {
    const value = Object.values(answer)[0];
    return typeof value === "string" ? value : null;
  }
  return null;
}

const checkedClients = new WeakSet<object>();

/**
 * The stores' start-up check: once per client, when it is ready (an ioredis client that is still
 * connecting is waited for, never connected by it), warnings to `events` (`storeWarning`) or
 * `console.warn`. Never throws and never rejects.
 */
function checkServerOnce(client: RedisClient, events: AuthEvents | undefined): void {
  if (checkedClients.has(client)) return;
  checkedClients.add(client);
  const warn = (message: string): void => {
    if (events) events.emit("storeWarning", { store: "redis", message });
    else console.warn(`portcullis: ${message}`);
  };
  const run = (): void => {
    checkRedisDurability(client).then(
      ({ warnings }) => {
        for (const warning of warnings) warn(warning);
      },
      () => {
        // Redis could not be reached: check again when the client is next ready.
        checkedClients.delete(client);
        whenReady(client, () => checkServerOnce(client, events), true);
      },
    );
  };
  whenReady(client, run, false);
}

// ioredis's status and 'ready' event, where the client has them; otherwise at once (after this turn),
// and a retry only where a 'ready' event can tell when.
function whenReady(client: RedisClient, run: () => void, again: boolean): void {
  const { status, once } = client as { status?: unknown; once?: (event: string, fn: () => void) => unknown };
  if (typeof once === "function" && (again || (typeof status === "string" && status !== "ready"))) {
    once.call(client, "ready", run);
  } else if (!again) {
    queueMicrotask(run);
  }
}
