/**
 * Checking the Redis server's persistence and eviction settings, once per client, at start-up.
 */
import { StoreUnavailable } from "../../core/errors.js";
import type { AuthEvents } from "../../core/events.js";
import { isConnectionError, type RedisClient } from "./client.js";

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
export function checkServerOnce(client: RedisClient, events: AuthEvents | undefined): void {
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
