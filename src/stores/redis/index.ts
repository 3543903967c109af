/**
 * portcullis/redis: the token, session, revocation and throttle stores in Redis, shared by every instance of an
 * app, with Redis's own expiry and atomic Lua scripts. Built for ioredis (an optional peer dependency),
 * which portcullis never imports: the stores take any client with the commands of {@link RedisClient}.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { RedisRevocationStore, RedisSessionStore, RedisThrottleStore, RedisTokenStore } from "portcullis/redis";
 *
 * // Fail fast while Redis is down (the stores then throw StoreUnavailable, answered with 503).
 * const client = new Redis(process.env.REDIS_URL!, {
 *   enableOfflineQueue: false,
 *   maxRetriesPerRequest: 1,
 *   commandTimeout: 2_000,
 *   lazyConnect: true,
 * });
 * await client.connect();
 * const tokens = new RedisTokenStore({ client });
 * const sessions = new RedisSessionStore({ client });
 * const revocations = new RedisRevocationStore({ client, prefix: "myapp:" });
 * const throttles = new RedisThrottleStore({ client });
 * ```
 *
 * @packageDocumentation
 */

export type { RedisClient, RedisStoreOptions } from "./client.js";
export { isConnectionError } from "./client.js";
export type { RedisDurability } from "./durability.js";
export { checkRedisDurability } from "./durability.js";
export { RedisRevocationStore } from "./revocations.js";
export { RedisSessionStore } from "./sessions.js";
export { RedisThrottleStore } from "./throttle.js";
export { RedisTokenStore } from "./tokens.js";
