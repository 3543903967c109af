/**
 * The Redis revocation store.
 */
import { checkKey, optionalKey } from "../keys.js";
import type { OutstandingToken, RevocationStore } from "../types.js";
import { epoch, type RedisStoreOptions, Script } from "./client.js";
import { StoreClient } from "./store-client.js";

const NAME = "RedisRevocationStore";

/** How long something written already expired waits for `flushExpired` at most. */
const UNFLUSHED_TTL_MS = 24 * 60 * 60 * 1000;
/** How many pending keys one `flushExpired` script handles, so no script blocks Redis for long. */
const FLUSH_BATCH = 500;

// Keys, as docs/revocation.md's SQL table in hashes:
//   <prefix>jti:<jti>             hash: expiresAt (epoch ms, the latest seen), userId, familyId,
//                                 recorded, revoked, consumed ("1" when set), and consumedAt (epoch ms,
//                                 the server's clock); expires at expiresAt
//   <prefix>jti-user:<userId>     set of the user's recorded jtis   } alive at least as long as
//   <prefix>jti-family:<familyId> set of the family's recorded jtis } their longest-lived member
//   <prefix>revoked-family:<id>   the revoked family's latest expiry; expires then
//   <prefix>jti-unflushed         set of the keys above written with an expiry already passed
// Redis has nothing to schedule for a key whose expiry has passed when it is written (a revoked token
// that expired already, a family revoked with no live token): such a key is kept, as a SQL row would be,
// until flushExpired removes it (a day at most), and listed for it in <prefix>jti-unflushed.
const HELPERS = `
local base = KEYS[1]
local function expire(key, name, expires, now)
  if expires > now then
    redis.call('PEXPIREAT', key, expires)
    return expires
  end
  local at = now + ${UNFLUSHED_TTL_MS}
  redis.call('PEXPIREAT', key, at)
  local pending = base .. 'jti-unflushed'
  local fresh = redis.call('EXISTS', pending) == 0
  redis.call('SADD', pending, name)
  if fresh then redis.call('PEXPIREAT', pending, at) else extend(pending, at, now) end
  return at
end
local function index(key, jti, at, now)
  local fresh = redis.call('EXISTS', key) == 0
  redis.call('SADD', key, jti)
  if fresh then redis.call('PEXPIREAT', key, at) else extend(key, at, now) end
end
local function reindex(row, jti, at, now)
  local owner = redis.call('HMGET', row, 'userId', 'familyId')
  if owner[1] then index(base .. 'jti-user:' .. owner[1], jti, at, now) end
  if owner[2] then index(base .. 'jti-family:' .. owner[2], jti, at, now) end
end
local function later(expires, stored)
  if stored and tonumber(stored) > expires then return tonumber(stored) end
  return expires
end
-- Revokes the rows listed in a set whose field is owner, trimming the entries of other rows; answers how
-- many were newly revoked, and the latest of latest and their expiries.
local function revoke_all(set, field, owner, latest)
  local count = 0
  for _, jti in ipairs(redis.call('SMEMBERS', set)) do
    local row = base .. 'jti:' .. jti
    local found = redis.call('HMGET', row, field, 'revoked', 'expiresAt')
    if found[1] == owner then
      latest = later(latest, found[3])
      if not found[2] then
        redis.call('HSET', row, 'revoked', '1')
        count = count + 1
      end
    else
      redis.call('SREM', set, jti)
    end
  end
  return count, latest
end
`;

// KEYS: prefix, row. ARGV: jti, expiresAt, userId or '', familyId or ''.
const RECORD = new Script(`${HELPERS}
local jti, user, family, now = ARGV[1], ARGV[3], ARGV[4], now_ms()
local found = redis.call('HMGET', KEYS[2], 'recorded', 'expiresAt')
if found[1] then return 0 end
local expires = later(tonumber(ARGV[2]), found[2])
redis.call('HSET', KEYS[2], 'recorded', '1', 'expiresAt', expires)
local at = expire(KEYS[2], 'jti:' .. jti, expires, now)
if user ~= '' then
  redis.call('HSET', KEYS[2], 'userId', user)
  index(base .. 'jti-user:' .. user, jti, at, now)
end
if family ~= '' then
  redis.call('HSET', KEYS[2], 'familyId', family)
  index(base .. 'jti-family:' .. family, jti, at, now)
  local tombstone = base .. 'revoked-family:' .. family
  local latest = redis.call('GET', tombstone)
  if latest then
    redis.call('HSET', KEYS[2], 'revoked', '1')
    if expires > tonumber(latest) then
      redis.call('SET', tombstone, expires)
      expire(tombstone, 'revoked-family:' .. family, expires, now)
    end
  end
end
return 1
`);

// KEYS: prefix, row. ARGV: jti, expiresAt.
const REVOKE = new Script(`${HELPERS}
local now = now_ms()
local found = redis.call('HMGET', KEYS[2], 'revoked', 'expiresAt')
local expires = later(tonumber(ARGV[2]), found[2])
redis.call('HSET', KEYS[2], 'revoked', '1', 'expiresAt', expires)
reindex(KEYS[2], ARGV[1], expire(KEYS[2], 'jti:' .. ARGV[1], expires, now), now)
if found[1] then return 0 end
return 1
`);

// KEYS: prefix, row. ARGV: jti, expiresAt. The compare-and-set of rotation.
const CONSUME = new Script(`${HELPERS}
local found = redis.call('HMGET', KEYS[2], 'revoked', 'consumed', 'expiresAt')
if found[1] or found[2] then return 0 end
local now = now_ms()
local expires = later(tonumber(ARGV[2]), found[3])
redis.call('HSET', KEYS[2], 'consumed', '1', 'consumedAt', now, 'expiresAt', expires)
reindex(KEYS[2], ARGV[1], expire(KEYS[2], 'jti:' .. ARGV[1], expires, now), now)
return 1
`);

// KEYS: prefix, family index, tombstone. ARGV: familyId. The tombstone lasts until the family's latest
// expiry, and at least until the next flush.
const REVOKE_FAMILY = new Script(`${HELPERS}
local now = now_ms()
local count, latest = revoke_all(KEYS[2], 'familyId', ARGV[1], tonumber(redis.call('GET', KEYS[3]) or now))
redis.call('SET', KEYS[3], latest)
expire(KEYS[3], 'revoked-family:' .. ARGV[1], latest, now)
return count
`);

// KEYS: prefix, user index. ARGV: userId. No tombstone: tokens recorded later are not revoked.
const REVOKE_FOR_USER = new Script(`${HELPERS}
return (revoke_all(KEYS[2], 'userId', ARGV[1], 0))
`);

// KEYS: prefix. ARGV: batch size. Answers { jti rows removed, keys still pending }.
const FLUSH = new Script(`${HELPERS}
local now, count = now_ms(), 0
local pending = base .. 'jti-unflushed'
for _, name in ipairs(redis.call('SPOP', pending, tonumber(ARGV[1]))) do
  local key = base .. name
  if string.sub(name, 1, 4) == 'jti:' then
    local found = redis.call('HMGET', key, 'expiresAt', 'userId', 'familyId')
    if found[1] and tonumber(found[1]) <= now then
      local jti = string.sub(name, 5)
      redis.call('DEL', key)
      if found[2] then redis.call('SREM', base .. 'jti-user:' .. found[2], jti) end
      if found[3] then redis.call('SREM', base .. 'jti-family:' .. found[3], jti) end
      count = count + 1
    end
  else
    local latest = redis.call('GET', key)
    if latest and tonumber(latest) <= now then redis.call('DEL', key) end
  end
end
return { count, redis.call('SCARD', pending) }
`);

/**
 * A {@link RevocationStore} in Redis, shared by every instance of the app, so a token revoked through one
 * instance is refused by all. One hash per jti (as docs/revocation.md's SQL table has one row), a set
 * per user and per family, and a tombstone per revoked family. Every operation is one Lua script, so
 * `consume` is a compare-and-set (of any number of concurrent callers on any number of connections
 * exactly one gets true), and `revoke`, `revokeFamily` and `revokeForUser` count each token once.
 * `isRevoked` is a single `HGET`.
 *
 * Expiry is Redis's own: each key expires at the latest `expiresAt` it was given, a revoked family at
 * the latest expiry among its tokens, and the indexes with their longest-lived member. So an expired row
 * is gone without a flush, unlike a SQL store's. `flushExpired` is still worth scheduling: it removes what
 * was written with an expiry that had already passed (which Redis keeps, as SQL would, until the flush or
 * for a day), such as a family revoked when none of its tokens was alive, and returns how many of those
 * jti rows it removed, not the rows Redis expired by itself.
 *
 * While Redis cannot be reached every method throws `StoreUnavailable`, so refreshes and revocation checks
 * fail closed (503) until the client reconnects; {@link RedisStoreOptions} has the settings to fail fast.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { JWTService } from "portcullis";
 * import { RedisRevocationStore } from "portcullis/redis";
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
 * await client.connect();
 * const revocations = new RedisRevocationStore({ client });
 * const jwt = new JWTService({ signingKey, rotateRefreshTokens: true, revocations });
 * setInterval(() => void revocations.flushExpired(), 60 * 60 * 1000).unref();
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #redis: StoreClient;

  /**
   * @param options - the ioredis client, and the key prefix (default `"portcullis:"`)
   */
  constructor(options: RedisStoreOptions) {
    this.#redis = new StoreClient(options, "revocations");
  }

  /** @inheritDoc */
  async recordOutstanding(token: OutstandingToken): Promise<void> {
    if (typeof token !== "object" || token === null) {
      throw new TypeError(`${NAME}: the token must be an OutstandingToken object.`);
    }
    checkKey(token.jti, `${NAME}: jti`);
    const expiresAt = epoch(token.expiresAt, NAME, "expiresAt");
    const userId = optionalKey(token.userId, `${NAME}: userId`);
    const familyId = optionalKey(token.familyId, `${NAME}: familyId`);
    await this.#run(RECORD, [this.#row(token.jti)], [token.jti, expiresAt, userId ?? "", familyId ?? ""]);
  }

  /** @inheritDoc */
  async isRevoked(jti: string): Promise<boolean> {
    checkKey(jti, `${NAME}: jti`);
    const key = this.#row(jti);
    return (await this.#redis.send((client) => client.hget(key, "revoked"))) !== null;
  }

  /** @inheritDoc */
  async revoke(jti: string, expiresAt: Date): Promise<boolean> {
    checkKey(jti, `${NAME}: jti`);
    const expiry = epoch(expiresAt, NAME, "expiresAt");
    return (await this.#run(REVOKE, [this.#row(jti)], [jti, expiry])) === 1;
  }

  /** @inheritDoc */
  async consume(jti: string, expiresAt: Date): Promise<boolean> {
    checkKey(jti, `${NAME}: jti`);
    const expiry = epoch(expiresAt, NAME, "expiresAt");
    return (await this.#run(CONSUME, [this.#row(jti)], [jti, expiry])) === 1;
  }

  /** @inheritDoc */
  async consumedAt(jti: string): Promise<Date | null> {
    checkKey(jti, `${NAME}: jti`);
    const key = this.#row(jti);
    const row = await this.#redis.send((client) => client.hgetall(key));
    if (row.consumed === undefined) return null;
    // Consumed by a version that kept no time: long ago.
    return new Date(row.consumedAt === undefined ? 0 : Number(row.consumedAt));
  }

  /** @inheritDoc */
  async revokeFamily(familyId: string): Promise<number> {
    checkKey(familyId, `${NAME}: familyId`);
    const keys = [this.#redis.key("jti-family", familyId), this.#redis.key("revoked-family", familyId)];
    return Number(await this.#run(REVOKE_FAMILY, keys, [familyId]));
  }

  /** @inheritDoc */
  async revokeForUser(userId: string): Promise<number> {
    checkKey(userId, `${NAME}: userId`);
    return Number(await this.#run(REVOKE_FOR_USER, [this.#redis.key("jti-user", userId)], [userId]));
  }

  /**
   * Removes what Redis keeps past its expiry: rows and family tombstones written when their expiry had
   * already passed. Rows that expired after they were written are gone already (Redis expired them) and
   * are not counted. Run it from a scheduled job, as with the SQL stores; it works in batches, so it
   * never blocks Redis for long.
   *
   * @returns how many jti rows it removed
   */
  async flushExpired(): Promise<number> {
    let removed = 0;
    for (;;) {
      const [count, remaining] = (await this.#run(FLUSH, [], [FLUSH_BATCH])) as [number, number];
      removed += count;
      if (remaining === 0) return removed;
    }
  }

  /** Runs a script with the prefix as its first key (the scripts build the keys they find from it). */
  #run(script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.#redis.run(script, [this.#redis.prefix, ...keys], args);
  }

  #row(jti: string): string {
    return this.#redis.key("jti", jti);
  }
}
