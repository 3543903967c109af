import { Cluster, Redis } from "ioredis";
import { describe, expectTypeOf, it } from "vitest";
import type { RevocationStore, SessionStore, TokenStore } from "../../../src/index.js";
import {
  type RedisClient,
  RedisRevocationStore,
  RedisSessionStore,
  type RedisStoreOptions,
  RedisTokenStore,
} from "../../../src/stores/redis/index.js";

describe("the structural Redis client", () => {
  it("is satisfied by an ioredis Redis and Cluster", () => {
    expectTypeOf<Redis>().toMatchTypeOf<RedisClient>();
    expectTypeOf<Cluster>().toMatchTypeOf<RedisClient>();
    const client: RedisClient = new Redis({ lazyConnect: true });
    const cluster: RedisClient = new Cluster([{ host: "127.0.0.1", port: 7000 }], { lazyConnect: true });
    expectTypeOf({ client, prefix: "{app}:" }).toMatchTypeOf<RedisStoreOptions>();
    expectTypeOf(new RedisTokenStore({ client: cluster })).toMatchTypeOf<TokenStore>();
  });

  it("is not satisfied by an object missing a command", () => {
    expectTypeOf<Omit<RedisClient, "evalsha">>().not.toMatchTypeOf<RedisClient>();
    const withoutHgetall = { hget: async () => null, evalsha: async () => 1, eval: async () => 1 };
    // @ts-expect-error: a client without hgetall
    new RedisSessionStore({ client: withoutHgetall });
  });

  it("builds stores that implement the store interfaces", () => {
    const client = new Redis({ lazyConnect: true });
    expectTypeOf(new RedisTokenStore({ client })).toMatchTypeOf<TokenStore>();
    expectTypeOf(new RedisSessionStore({ client })).toMatchTypeOf<SessionStore>();
    expectTypeOf(new RedisRevocationStore({ client, prefix: "app:" })).toMatchTypeOf<RevocationStore>();
  });
});
