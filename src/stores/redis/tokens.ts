/**
 * The Redis token store.
 */
import type { TokenRecord, TokenStore, TokenTouch } from "../types.js";
import { epoch, type RedisStoreOptions, readDate, Script } from "./client.js";
import { StoreClient } from "./store-client.js";

const NAME = "RedisTokenStore";

// Keys: `<prefix>token:<digest>` is a hash (userId, createdAt, and name, expiresAt, lastUsedAt when not
// null; dates as epoch ms) that expires at expiresAt; `<prefix>token-user:<userId>` is a sorted set of
// the user's digests by createdAt, alive at least as long as its longest-lived token.

// KEYS: row, index, prefix. ARGV: digest, createdAt, expiresAt or '', now, limit or '', userId, then the
// hash's field/value pairs. 0 when the digest exists; 2 when the user already has `limit` tokens unexpired
// at `now` (nothing written); 1 when saved. One script: no other command runs between count and write.
const SAVE = new Script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[5] ~= '' then
  local now = tonumber(ARGV[4])
  local live = 0
  for _, digest in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local found = redis.call('HMGET', KEYS[3] .. 'token:' .. digest, 'userId', 'expiresAt')
    if found[1] == ARGV[6] and (not found[2] or tonumber(found[2]) > now) then live = live + 1 end
  end
  if live >= tonumber(ARGV[5]) then return 2 end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
local fresh = redis.call('EXISTS', KEYS[2]) == 0
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if ARGV[3] == '' then
  redis.call('PERSIST', KEYS[2])
else
  local at = tonumber(ARGV[3])
  if fresh then redis.call('PEXPIREAT', KEYS[2], at) else extend(KEYS[2], at, now_ms()) end
  redis.call('PEXPIREAT', KEYS[1], at)
end
return 1
`);

// KEYS: prefix, index. ARGV: userId. Answers { digest, field, value, … } per token, oldest first, and drops
// index entries whose token expired or was deleted.
const LIST_FOR_USER = new Script(`
local out = {}
for _, digest in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local row = KEYS[1] .. 'token:' .. digest
  if redis.call('HGET', row, 'userId') == ARGV[1] then
    local entry = redis.call('HGETALL', row)
    table.insert(entry, 1, digest)
    out[#out + 1] = entry
  else
    redis.call('ZREM', KEYS[2], digest)
  end
end
return out
`);

// KEYS: prefix, row. ARGV: digest, lastUsedAt or '' (keep), expiresAt or '' (keep) or 'null' (never).
const TOUCH = new Script(`
local found = redis.call('HMGET', KEYS[2], 'userId', 'createdAt')
if not found[1] then return 0 end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[2], 'lastUsedAt', ARGV[2]) end
if ARGV[3] == '' then return 1 end
local index = KEYS[1] .. 'token-user:' .. found[1]
local fresh = redis.call('EXISTS', index) == 0
redis.call('ZADD', index, 'NX', found[2], ARGV[1])
if ARGV[3] == 'null' then
  redis.call('HDEL', KEYS[2], 'expiresAt')
  redis.call('PERSIST', KEYS[2])
  redis.call('PERSIST', index)
else
  local at = tonumber(ARGV[3])
  redis.call('HSET', KEYS[2], 'expiresAt', ARGV[3])
  if fresh then redis.call('PEXPIREAT', index, at) else extend(index, at, now_ms()) end
  redis.call('PEXPIREAT', KEYS[2], at)
end
return 1
`);

/**
 * A {@link TokenStore} in Redis, shared by every instance of the app. Each token is a hash under its
 * digest that Redis expires by itself at `expiresAt` (a token without expiry keeps no TTL), and each user
 * has a sorted set of digests for `listForUser` and `deleteForUser`. Every write is one Lua script, so the
 * index never disagrees with the tokens; entries of tokens that expired are dropped when `listForUser` or
 * `deleteForUser` meets them. `findByDigest` is a single `HGETALL`.
 *
 * While Redis cannot be reached every method throws `StoreUnavailable` (answered 503) until the client
 * reconnects; {@link RedisStoreOptions} has the client settings that make it fail fast.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { TokenAuthentication } from "portcullis";
 * import { RedisTokenStore } from "portcullis/redis";
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
 * await client.connect();
 * const tokens = new RedisTokenStore({ client });
 * const auth = new TokenAuthentication({ tokens, users });
 * ```
 */
export class RedisTokenStore implements TokenStore {
  readonly #redis: StoreClient;

  /**
   * @param options - the ioredis client, and the key prefix (default `"portcullis:"`)
   */
  constructor(options: RedisStoreOptions) {
    this.#redis = new StoreClient(options, "tokens");
  }

  /** @inheritDoc */
  async save(record: TokenRecord): Promise<void> {
    await this.#save(record, "");
  }

  /** @inheritDoc */
  async saveWithinLimit(record: TokenRecord, limit: number): Promise<boolean> {
    return (await this.#save(record, limit)) === 1;
  }

  async #save(record: TokenRecord, limit: number | ""): Promise<unknown> {
    const { createdAt, expiresAt, fields } = encode(record);
    const redis = this.#redis;
    const keys = [redis.key("token", record.digest), redis.key("token-user", record.userId), redis.prefix];
    const args = [record.digest, createdAt, expiresAt, createdAt, limit, record.userId, ...fields];
    const saved = await redis.run(SAVE, keys, args);
    if (saved === 0) throw new Error(`${NAME}: a token with this digest exists.`);
    return saved;
  }

  /** @inheritDoc */
  async findByDigest(digest: string): Promise<TokenRecord | null> {
    const key = this.#redis.key("token", digest);
    const fields = await this.#redis.send((client) => client.hgetall(key));
    return fields.userId === undefined ? null : decode(digest, fields, key);
  }

  /** @inheritDoc */
  delete(digest: string): Promise<boolean> {
    return this.#redis.deleteRow("token", digest);
  }

  /** @inheritDoc */
  deleteForUser(userId: string): Promise<number> {
    return this.#redis.deleteRowsForUser("token", userId);
  }

  /** @inheritDoc */
  async listForUser(userId: string): Promise<TokenRecord[]> {
    const redis = this.#redis;
    const keys = [redis.prefix, redis.key("token-user", userId)];
    const entries = (await redis.run(LIST_FOR_USER, keys, [userId])) as string[][];
    return entries.map(([digest = "", ...pairs]) =>
      decode(digest, toObject(pairs), redis.key("token", digest)),
    );
  }

  /** @inheritDoc */
  async touch(digest: string, changes: TokenTouch): Promise<void> {
    const lastUsedAt = changes.lastUsedAt === undefined ? "" : epoch(changes.lastUsedAt, NAME, "lastUsedAt");
    let expiresAt: string | number = "";
    if (changes.expiresAt === null) expiresAt = "null";
    else if (changes.expiresAt !== undefined) expiresAt = epoch(changes.expiresAt, NAME, "expiresAt");
    if (lastUsedAt === "" && expiresAt === "") return;
    const keys = [this.#redis.prefix, this.#redis.key("token", digest)];
    await this.#redis.run(TOUCH, keys, [digest, lastUsedAt, expiresAt]);
  }
}

/** A record's times as epoch ms (expiresAt '' for never) and its hash's field/value pairs. */
function encode(record: TokenRecord) {
  const createdAt = epoch(record.createdAt, NAME, "createdAt");
  const expiresAt = record.expiresAt === null ? null : epoch(record.expiresAt, NAME, "expiresAt");
  const fields: (string | number)[] = ["userId", record.userId, "createdAt", createdAt];
  if (record.name !== null) fields.push("name", record.name);
  if (expiresAt !== null) fields.push("expiresAt", expiresAt);
  if (record.lastUsedAt !== null) fields.push("lastUsedAt", epoch(record.lastUsedAt, NAME, "lastUsedAt"));
  return { createdAt, expiresAt: expiresAt ?? "", fields };
}

function decode(digest: string, fields: Record<string, string>, key: string): TokenRecord {
  if (fields.userId === undefined) throw new Error(`${NAME}: the record at "${key}" is malformed.`);
  return {
    digest,
    userId: fields.userId,
    name: fields.name ?? null,
    createdAt: readDate(fields.createdAt, NAME, key),
    expiresAt: fields.expiresAt === undefined ? null : readDate(fields.expiresAt, NAME, key),
    lastUsedAt: fields.lastUsedAt === undefined ? null : readDate(fields.lastUsedAt, NAME, key),
  };
}

/** `[field, value, field, value, …]` as an object (without a prototype, whatever the field names). */
function toObject(pairs: readonly string[]): Record<string, string> {
  const object: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < pairs.length; i += 2) object[pairs[i]!] = pairs[i + 1]!;
  return object;
}
