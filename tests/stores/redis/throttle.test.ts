import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisClient, RedisThrottleStore } from "../../../src/stores/redis/index.js";
import { hitFromProcesses } from "../throttle-children.js";
import { connect, deleteKeys, freshPrefix, keysUnder, REDIS_URL, skipRedis } from "./service.js";

const WINDOW = 60_000;

describe("RedisThrottleStore's arguments", () => {
  const store = new RedisThrottleStore({ client: {} as RedisClient, prefix: "unused:" });

  it.each([
    [
      "an empty key",
      () => store.hit("", 1, WINDOW, 0),
      "RedisThrottleStore: key must be a non-empty string.",
    ],
    [
      "a negative limit",
      () => store.hit("k", -1, WINDOW, 0),
      "RedisThrottleStore: limit must be a non-negative integer.",
    ],
    [
      "a fractional limit",
      () => store.peek("k", 1.5, WINDOW, 0),
      "RedisThrottleStore: limit must be a non-negative integer.",
    ],
    [
      "a zero window",
      () => store.hit("k", 1, 0, 0),
      "RedisThrottleStore: windowMs must be a positive integer.",
    ],
    [
      "an infinite window",
      () => store.peek("k", 1, Infinity, 0),
      "RedisThrottleStore: windowMs must be a positive integer.",
    ],
    [
      "a NaN time",
      () => store.hit("k", 1, WINDOW, Number.NaN),
      "RedisThrottleStore: now must be an integer (epoch ms).",
    ],
    [
      "a fractional time",
      () => store.hit("k", 1, WINDOW, 0.5),
      "RedisThrottleStore: now must be an integer (epoch ms).",
    ],
    ["an empty key to reset", () => store.reset(""), "RedisThrottleStore: key must be a non-empty string."],
  ])("refuses %s with a TypeError, before asking Redis", async (_, call, message) => {
    await expect(call()).rejects.toThrow(new TypeError(message));
  });
});

describe.skipIf(skipRedis)("RedisThrottleStore on Redis", () => {
  let client: Redis;
  const prefix = freshPrefix();
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await deleteKeys(client, prefix);
    await client?.quit();
  });

  it("keeps a key as one sorted set of unique members, living until its newest entry leaves the window", async () => {
    const store = new RedisThrottleStore({ client, prefix });
    const key = `${prefix}throttle:layout`;
    const now = Date.now();
    await store.hit("layout", 5, WINDOW, now);
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(WINDOW - 2_000);
    expect(ttl).toBeLessThanOrEqual(WINDOW);
    await store.hit("layout", 5, WINDOW, now);
    // An older entry (another instance's clock, 10 s behind) never shortens the key's life: in that
    // instance's clock the newest entry leaves its window 70 s from now.
    await store.hit("layout", 5, WINDOW, now - 10_000);
    expect(await client.pttl(key)).toBeGreaterThan(WINDOW + 8_000);
    expect(await keysUnder(client, prefix)).toEqual([key]);
    expect(await client.type(key)).toBe("zset");
    const entries = await client.zrange(key, 0, -1, "WITHSCORES");
    expect(entries.filter((_, i) => i % 2 === 1)).toEqual([now - 10_000, now, now].map(String));
    expect(new Set(entries.filter((_, i) => i % 2 === 0)).size).toBe(3);
    // A refused hit leaves the set and its TTL alone.
    await client.pexpire(key, 40_000);
    expect(await store.hit("layout", 3, WINDOW, now + 1)).toMatchObject({ allowed: false, count: 3 });
    expect(await client.zcard(key)).toBe(3);
    expect(await client.pttl(key)).toBeLessThanOrEqual(40_000);
    await store.reset("layout");
    expect(await keysUnder(client, prefix)).toEqual([]);
  });

  it("lets Redis drop a key once its entries have left the window", async () => {
    const store = new RedisThrottleStore({ client, prefix });
    await store.hit("short", 1, 50, Date.now());
    expect(await client.exists(`${prefix}throttle:short`)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await client.exists(`${prefix}throttle:short`)).toBe(0);
  });

  it("asks Redis once per call: one EVALSHA for each hit, peek and reset", async () => {
    const calls: string[] = [];
    const counting: RedisClient = {
      hgetall: (key) => client.hgetall(key),
      hget: (key, field) => client.hget(key, field),
      evalsha: (...args) => {
        calls.push("evalsha");
        return client.evalsha(...args);
      },
      eval: (...args) => {
        calls.push("eval");
        return client.eval(...args);
      },
    };
    const store = new RedisThrottleStore({ client: counting, prefix });
    // Once each, so every script is cached (EVALSHA, then EVAL where the server had not seen it).
    await store.hit("trips", 3, WINDOW, Date.now());
    await store.peek("trips", 3, WINDOW, Date.now());
    await store.reset("trips");
    calls.length = 0;
    await store.hit("trips", 3, WINDOW, Date.now());
    await store.peek("trips", 3, WINDOW, Date.now());
    await store.reset("trips");
    expect(calls).toEqual(["evalsha", "evalsha", "evalsha"]);
  });

  it("two processes hitting one key at once allow exactly the limit in total", async () => {
    const key = "two-processes";
    const allowed = await hitFromProcesses(
      {
        THROTTLE_STORE: "redis",
        THROTTLE_URL: REDIS_URL,
        THROTTLE_PREFIX: prefix,
        THROTTLE_KEY: key,
        THROTTLE_LIMIT: "7",
        THROTTLE_CALLS: "50",
      },
      2,
    );
    expect(allowed.reduce((sum, n) => sum + n, 0)).toBe(7);
    expect(await client.zcard(`${prefix}throttle:${key}`)).toBe(7);
  }, 60_000);
});
