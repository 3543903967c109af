import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  MemoryUserStore,
  PermissionDenied,
  TokenAuthentication,
  type TokenRecord,
} from "../../../src/index.js";
import { RedisTokenStore } from "../../../src/stores/redis/index.js";
import { connect, deleteKeys, freshPrefix, keysUnder, skipRedis } from "./service.js";

const HOUR = 3_600_000;

function token(digest: string, userId: string, fields: Partial<TokenRecord> = {}): TokenRecord {
  return {
    digest,
    userId,
    name: "laptop",
    createdAt: new Date(Date.now() - HOUR),
    expiresAt: null,
    lastUsedAt: null,
    ...fields,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skipRedis)("RedisTokenStore", () => {
  let client: Redis;
  let prefix: string;
  let store: RedisTokenStore;
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await client?.quit();
  });
  beforeAll(() => {
    prefix = freshPrefix();
    store = new RedisTokenStore({ client, prefix });
  });
  afterEach(async () => {
    await deleteKeys(client, prefix);
  });

  it("keeps a token as a hash, dates as epoch ms, under <prefix>token:<digest>", async () => {
    const record = token("d1", "7", { expiresAt: new Date(Date.now() + HOUR), lastUsedAt: new Date(1_000) });
    await store.save(record);
    expect(await client.hgetall(`${prefix}token:d1`)).toEqual({
      userId: "7",
      name: "laptop",
      createdAt: String(record.createdAt.getTime()),
      expiresAt: String(record.expiresAt!.getTime()),
      lastUsedAt: "1000",
    });
    expect(await client.zrange(`${prefix}token-user:7`, 0, -1, "WITHSCORES")).toEqual([
      "d1",
      String(record.createdAt.getTime()),
    ]);
    expect(await keysUnder(client, prefix)).toEqual([`${prefix}token-user:7`, `${prefix}token:d1`]);
  });

  it("sets the TTL from expiresAt; a token without expiry, and then its user's index, keep none", async () => {
    const expiresAt = new Date(Date.now() + HOUR + 123);
    await store.save(token("d1", "7", { expiresAt }));
    expect(await client.pexpiretime(`${prefix}token:d1`)).toBe(expiresAt.getTime());
    expect(await client.pexpiretime(`${prefix}token-user:7`)).toBe(expiresAt.getTime());
    const later = new Date(Date.now() + 2 * HOUR);
    await store.save(token("d2", "7", { expiresAt: later }));
    expect(await client.pexpiretime(`${prefix}token-user:7`)).toBe(later.getTime());
    await store.save(token("d3", "7", { expiresAt: new Date(Date.now() + 10_000) }));
    expect(await client.pexpiretime(`${prefix}token-user:7`)).toBe(later.getTime()); // never shortened
    await store.save(token("d4", "7"));
    expect(await client.pexpiretime(`${prefix}token:d4`)).toBe(-1);
    expect(await client.pexpiretime(`${prefix}token-user:7`)).toBe(-1);
  });

  it("touch moves the TTL with expiresAt, and removes it for null", async () => {
    await store.save(token("d1", "7", { expiresAt: new Date(Date.now() + HOUR) }));
    const later = new Date(Date.now() + 3 * HOUR);
    await store.touch("d1", { expiresAt: later });
    expect(await client.pexpiretime(`${prefix}token:d1`)).toBe(later.getTime());
    expect(await client.pexpiretime(`${prefix}token-user:7`)).toBe(later.getTime());
    await store.touch("d1", { lastUsedAt: new Date() });
    expect(await client.pexpiretime(`${prefix}token:d1`)).toBe(later.getTime());
    await store.touch("d1", { expiresAt: null });
    expect(await client.pexpiretime(`${prefix}token:d1`)).toBe(-1);
    expect(await client.pexpiretime(`${prefix}token-user:7`)).toBe(-1);
    expect((await store.findByDigest("d1"))?.expiresAt).toBeNull();
  });

  it("lets Redis expire a token, and drops its index entry when listing", async () => {
    await store.save(token("short", "7", { expiresAt: new Date(Date.now() + 100) }));
    await store.save(token("long", "7"));
    expect(await client.zcard(`${prefix}token-user:7`)).toBe(2);
    await sleep(250);
    expect(await store.findByDigest("short")).toBeNull();
    expect((await store.listForUser("7")).map((r) => r.digest)).toEqual(["long"]);
    expect(await client.zrange(`${prefix}token-user:7`, 0, -1)).toEqual(["long"]);
    expect(await store.deleteForUser("7")).toBe(1);
    expect(await keysUnder(client, prefix)).toEqual([]);
  });

  it("a token saved already expired is gone at once, with its new index", async () => {
    await store.save(token("old", "7", { expiresAt: new Date(Date.now() - HOUR) }));
    expect(await store.findByDigest("old")).toBeNull();
    expect(await keysUnder(client, prefix)).toEqual([]);
  });

  it("uses the prefix 'portcullis:' by default", async () => {
    const digest = `test-${randomUUID()}`;
    const userId = `test-${randomUUID()}`;
    const defaults = new RedisTokenStore({ client });
    try {
      await defaults.save(token(digest, userId));
      expect(await client.exists(`portcullis:token:${digest}`, `portcullis:token-user:${userId}`)).toBe(2);
    } finally {
      await client.del(`portcullis:token:${digest}`, `portcullis:token-user:${userId}`);
    }
  });

  it("works under the client's keyPrefix, in the scripts too", async () => {
    const keyPrefix = `kp-${randomUUID()}:`;
    const prefixed = await connect({ keyPrefix });
    try {
      const scoped = new RedisTokenStore({ client: prefixed, prefix: "auth:" });
      await scoped.save(token("d1", "7"));
      await scoped.save(token("d2", "7"));
      expect(await keysUnder(client, keyPrefix)).toEqual([
        `${keyPrefix}auth:token-user:7`,
        `${keyPrefix}auth:token:d1`,
        `${keyPrefix}auth:token:d2`,
      ]);
      expect((await scoped.listForUser("7")).map((r) => r.digest)).toEqual(["d1", "d2"]);
      expect(await scoped.delete("d1")).toBe(true);
      expect(await scoped.deleteForUser("7")).toBe(1);
      expect(await keysUnder(client, keyPrefix)).toEqual([]);
    } finally {
      await deleteKeys(client, keyPrefix);
      await prefixed.quit();
    }
  });

  it("runs its scripts again after the server's script cache was flushed (NOSCRIPT)", async () => {
    await store.save(token("d1", "7"));
    await client.script("FLUSH");
    await store.save(token("d2", "7"));
    expect(await store.deleteForUser("7")).toBe(2);
  });

  it("maxTokensPerUser: 20 concurrent issues over two connections with a limit of 1 leave 1 token", async () => {
    const other = await connect();
    try {
      const users = new MemoryUserStore();
      const schemes = [store, new RedisTokenStore({ client: other, prefix })].map(
        (tokens) => new TokenAuthentication({ tokens, users, maxTokensPerUser: 1 }),
      );
      for (let round = 0; round < 5; round++) {
        const user = `race-${round}`;
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => schemes[i % 2]!.issue(user)),
        );
        const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason as unknown);
        expect(refused).toHaveLength(19);
        for (const error of refused) {
          expect(error).toBeInstanceOf(PermissionDenied);
          expect(error).toMatchObject({ status: 403, code: "token_limit_exceeded" });
        }
        expect(await store.listForUser(user)).toHaveLength(1);
      }
    } finally {
      await other.quit();
    }
  });

  it("saveWithinLimit counts the user's unexpired tokens, writes nothing at the limit, refuses a known digest", async () => {
    await store.save(token("other", "8"));
    await store.save(token("soon", "7", { expiresAt: new Date(Date.now() + HOUR) }));
    await store.save(token("never", "7"));
    // Expired at the new token's createdAt, though Redis has not dropped it yet.
    const late = token("late", "7", { createdAt: new Date(Date.now() + 2 * HOUR) });
    expect(await store.saveWithinLimit(late, 2)).toBe(true);
    expect(await store.saveWithinLimit(token("third", "7"), 3)).toBe(false);
    expect(await client.exists(`${prefix}token:third`)).toBe(0);
    await expect(store.saveWithinLimit(token("never", "9"), 5)).rejects.toThrow(
      "RedisTokenStore: a token with this digest exists.",
    );
    expect((await store.listForUser("7")).map((r) => r.digest).sort()).toEqual(["late", "never", "soon"]);
    expect(await store.listForUser("9")).toEqual([]);
  });

  it("refuses an invalid Date before it reaches Redis", async () => {
    await expect(store.save(token("d1", "7", { expiresAt: new Date(Number.NaN) }))).rejects.toThrow(
      new TypeError("RedisTokenStore: expiresAt must be a valid Date."),
    );
    expect(await keysUnder(client, prefix)).toEqual([]);
  });
});
