/**
 * The Redis session store.
 */
import type { SessionRecord, SessionStore } from "../types.js";
import { epoch, type RedisStoreOptions, readDate, Script } from "./client.js";
import { StoreClient } from "./store-client.js";

const NAME = "RedisSessionStore";

// Keys: `<prefix>session:<idDigest>` is a hash (userId, createdAt, expiresAt, absoluteExpiresAt as epoch
// ms, data as JSON) that expires at the earlier of the two expiries; `<prefix>session-user:<userId>` is a
// sorted set of the user's digests scored by that same moment, alive as long as its longest session.

// KEYS: row, index. ARGV: digest, the moment the session ends, then the hash's field/value pairs.
// Entries of sessions that have ended are trimmed from the index on the way.
const CREATE = new Script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
local at, now = tonumber(ARGV[2]), now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
local fresh = redis.call('EXISTS', KEYS[2]) == 0
redis.call('ZADD', KEYS[2], at, ARGV[1])
if fresh then redis.call('PEXPIREAT', KEYS[2], at) else extend(KEYS[2], at, now) end
redis.call('PEXPIREAT', KEYS[1], at)
return 1
`);

// KEYS: prefix, row. ARGV: digest, the new idle expiry. The TTL never passes the absolute expiry.
const TOUCH = new Script(`
local found = redis.call('HMGET', KEYS[2], 'userId', 'absoluteExpiresAt')
if not found[1] then return 0 end
redis.call('HSET', KEYS[2], 'expiresAt', ARGV[2])
local at, now = math.min(tonumber(ARGV[2]), tonumber(found[2])), now_ms()
local index = KEYS[1] .. 'session-user:' .. found[1]
redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. now)
local fresh = redis.call('EXISTS', index) == 0
redis.call('ZADD', index, at, ARGV[1])
if fresh then redis.call('PEXPIREAT', index, at) else extend(index, at, now) end
redis.call('PEXPIREAT', KEYS[2], at)
return 1
`);

/**
 * A {@link SessionStore} in Redis, shared by every instance of the app, so a session created on one
 * instance authenticates on all and a logout on one ends it everywhere. Each session is a hash under its
 * id's digest whose TTL is the earlier of its idle and absolute expiries, so Redis drops ended sessions
 * by itself; `touch` moves the idle expiry and the TTL with it, never past the absolute expiry. Each user
 * has a sorted set of session digests for `deleteForUser`, trimmed of ended sessions on every write.
 * `get` is a single `HGETALL`; `data` is stored as JSON.
 *
 * While Redis cannot be reached every method throws `StoreUnavailable` (answered 503) until the client
 * reconnects; {@link RedisStoreOptions} has the client settings that make it fail fast.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { SessionManager } from "portcullis";
 * import { RedisSessionStore } from "portcullis/redis";
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
 * await client.connect();
 * const sessions = new SessionManager({ store: new RedisSessionStore({ client }), users });
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: StoreClient;

  /**
   * @param options - the ioredis client, and the key prefix (default `"portcullis:"`)
   */
  constructor(options: RedisStoreOptions) {
    this.#redis = new StoreClient(options, "sessions");
  }

  /** @inheritDoc */
  async create(record: SessionRecord): Promise<void> {
    const createdAt = epoch(record.createdAt, NAME, "createdAt");
    const expiresAt = epoch(record.expiresAt, NAME, "expiresAt");
    const absoluteExpiresAt = epoch(record.absoluteExpiresAt, NAME, "absoluteExpiresAt");
    const data = JSON.stringify(record.data);
    if (typeof data !== "string") throw new TypeError(`${NAME}: data must be a JSON-serialisable object.`);
    const keys = [
      this.#redis.key("session", record.idDigest),
      this.#redis.key("session-user", record.userId),
    ];
    const created = await this.#redis.run(CREATE, keys, [
      record.idDigest,
      Math.min(expiresAt, absoluteExpiresAt),
      ...["userId", record.userId, "createdAt", createdAt, "expiresAt", expiresAt],
      ...["absoluteExpiresAt", absoluteExpiresAt, "data", data],
    ]);
    if (created !== 1) throw new Error(`${NAME}: a session with this digest exists.`);
  }

  /** @inheritDoc */
  async get(idDigest: string): Promise<SessionRecord | null> {
    const key = this.#redis.key("session", idDigest);
    const fields = await this.#redis.send((client) => client.hgetall(key));
    if (fields.userId === undefined) return null;
    let data: unknown;
    try {
      data = JSON.parse(fields.data ?? "");
    } catch (error) {
      throw new Error(`${NAME}: the record at "${key}" is malformed.`, { cause: error });
    }
    return {
      idDigest,
      userId: fields.userId,
      createdAt: readDate(fields.createdAt, NAME, key),
      expiresAt: readDate(fields.expiresAt, NAME, key),
      absoluteExpiresAt: readDate(fields.absoluteExpiresAt, NAME, key),
      data: data as Record<string, unknown>,
    };
  }

  /** @inheritDoc */
  async touch(idDigest: string, expiresAt: Date): Promise<void> {
    const at = epoch(expiresAt, NAME, "expiresAt");
    await this.#redis.run(TOUCH, [this.#redis.prefix, this.#redis.key("session", idDigest)], [idDigest, at]);
  }

  /** @inheritDoc */
  delete(idDigest: string): Promise<boolean> {
    return this.#redis.deleteRow("session", idDigest);
  }

  /** @inheritDoc */
  deleteForUser(userId: string): Promise<number> {
    return this.#redis.deleteRowsForUser("session", userId);
  }
}
