/**
 * The Redis throttle store.
 */
import { checkKey, checkThrottleArguments } from "../keys.js";
import type { ThrottleState, ThrottleStore } from "../types.js";
import { type RedisStoreOptions, Script } from "./client.js";
import { StoreClient } from "./store-client.js";

const STORE = "throttles";
const NAME = "RedisThrottleStore";

// Keys: `<prefix>throttle:<key>` is a sorted set of entries scored by their time (the caller's clock, epoch
// ms). Members are unique (an instance nonce and a counter), so hits at the same `now` count separately.
// The TTL runs to the newest entry's end, counted from the caller's `now`: the server's clock never
// decides which entries are in the window.

// Answers { allowed, count, oldest score or false }.
const READ = `
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
return { allowed, count, first[2] or false }
`;

// KEYS: log. ARGV: now - window, limit, now, window, member. The whole hit runs as one step.
const HIT = new Script(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[5])
  count = count + 1
  allowed = 1
  local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[1], math.max(tonumber(newest[2]) - tonumber(ARGV[3]), 0) + tonumber(ARGV[4]))
end
${READ}`);

// KEYS: log. ARGV: now - window, limit. Reads the window without changing anything.
const PEEK = new Script(`
local count = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
local allowed = 0
if count < tonumber(ARGV[2]) then allowed = 1 end
${READ}`);

// KEYS: log.
const RESET = new Script(`return redis.call('DEL', KEYS[1])`);

/**
 * A {@link ThrottleStore} in Redis, shared by every instance of the app, so a rate of "100/day" holds
 * across all of them and a lockout on one instance locks out everywhere. Each key is a sorted set of
 * entry times; `hit` is one Lua script (one round trip): it drops the entries at or before
 * `now - windowMs`, counts the rest and adds `now` when fewer than `limit` remain, so N parallel hits
 * against a limit of k record exactly k, on any number of connections. The set expires when its newest
 * entry leaves the window, so idle keys cost nothing. Times are the caller's `now` (the app's clock),
 * never the Redis server's.
 *
 * While Redis cannot be reached every method throws `StoreUnavailable` (the client's error as `cause`):
 * a throttle answers 503, never "allow all". Keys are `<prefix>throttle:<key>`; a key is a single Redis
 * key, so Redis Cluster needs no hash tag for it.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { RedisThrottleStore } from "portcullis/redis";
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
 * await client.connect();
 * const throttles = new RedisThrottleStore({ client });
 * const { allowed } = await throttles.hit("throttle_anon_203.0.113.9", 100, 86_400_000, Date.now());
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/
 */
export class RedisThrottleStore implements ThrottleStore {
  readonly #redis: StoreClient;
  /** Makes this instance's members unique among every instance's. */
  readonly #nonce = nonce();
  #sequence = 0;

  /**
   * @param options - the ioredis client, and the key prefix (default `"portcullis:"`)
   */
  constructor(options: RedisStoreOptions) {
    this.#redis = new StoreClient(options, STORE);
  }

  /** @inheritDoc */
  async hit(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState> {
    checkThrottleArguments(NAME, key, limit, windowMs, now);
    const member = `${this.#nonce}${(this.#sequence++).toString(36)}`;
    const log = this.#redis.key("throttle", key);
    return toState(await this.#redis.run(HIT, [log], [now - windowMs, limit, now, windowMs, member]));
  }

  /** @inheritDoc */
  async peek(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState> {
    checkThrottleArguments(NAME, key, limit, windowMs, now);
    return toState(await this.#redis.run(PEEK, [this.#redis.key("throttle", key)], [now - windowMs, limit]));
  }

  /** @inheritDoc */
  async reset(key: string): Promise<void> {
    checkKey(key, `${NAME}: key`);
    await this.#redis.run(RESET, [this.#redis.key("throttle", key)], []);
  }
}

function toState(answer: unknown): ThrottleState {
  const [allowed, count, oldest] = answer as [number, number, string | null];
  return { allowed: allowed === 1, count: Number(count), oldest: oldest === null ? null : Number(oldest) };
}

/** 64 random bits as hex, then a separator no counter digit uses. */
function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}:`;
}
