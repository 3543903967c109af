import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisRevocationStore } from "../../../src/stores/redis/index.js";
import { connect, deleteKeys, freshPrefix, keysUnder, skipRedis } from "./service.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const future = (ms = HOUR) => new Date(Date.now() + ms);
const past = () => new Date(Date.now() - HOUR);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skipRedis)("RedisRevocationStore", () => {
  let client: Redis;
  let prefix: string;
  let store: RedisRevocationStore;
  beforeAll(async () => {
    client = await connect();
    prefix = freshPrefix();
    store = new RedisRevocationStore({ client, prefix });
  });
  afterAll(async () => {
    await client?.quit();
  });
  afterEach(async () => {
    await deleteKeys(client, prefix);
  });

  describe("consume across connections", () => {
    let clients: Redis[] = [];
    beforeAll(async () => {
      clients = await Promise.all(Array.from({ length: 5 }, () => connect()));
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.quit()));
    });

    it("50 parallel consume of one jti on 5 connections: exactly one true, for each of 20 jtis", async () => {
      const stores = clients.map((c) => new RedisRevocationStore({ client: c, prefix }));
      for (let n = 0; n < 20; n++) {
        const jti = `jti-${n}`;
        if (n % 2 === 0)
          await store.recordOutstanding({ jti, userId: "1", familyId: "f", expiresAt: future() });
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.consume(jti, future())),
        );
        expect(results.filter((won) => won)).toHaveLength(1);
      }
    });

    it("consume racing revoke on other connections: never true after the revoke won", async () => {
      const stores = clients.map((c) => new RedisRevocationStore({ client: c, prefix }));
      for (let n = 0; n < 20; n++) {
        const jti = `race-${n}`;
        const calls = Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? stores[i % stores.length]!.consume(jti, future()).then((won) => ({ op: "consume", won, i }))
            : stores[i % stores.length]!.revoke(jti, future()).then((won) => ({ op: "revoke", won, i })),
        );
        const results = await Promise.all(calls);
        expect(results.filter((r) => r.op === "consume" && r.won).length).toBeLessThanOrEqual(1);
        expect(results.filter((r) => r.op === "revoke" && r.won)).toHaveLength(1);
        expect(await store.isRevoked(jti)).toBe(true);
      }
    });
  });

  it("keeps a jti as a hash that expires at its latest expiry, with indexes that live as long", async () => {
    const expiresAt = future();
    await store.recordOutstanding({ jti: "a", userId: "7", familyId: "f", expiresAt });
    expect(await client.hgetall(`${prefix}jti:a`)).toEqual({
      recorded: "1",
      expiresAt: String(expiresAt.getTime()),
      userId: "7",
      familyId: "f",
    });
    for (const key of ["jti:a", "jti-user:7", "jti-family:f"]) {
      expect(await client.pexpiretime(`${prefix}${key}`)).toBe(expiresAt.getTime());
    }
    const later = future(2 * HOUR);
    expect(await store.consume("a", later)).toBe(true);
    for (const key of ["jti:a", "jti-user:7", "jti-family:f"]) {
      expect(await client.pexpiretime(`${prefix}${key}`)).toBe(later.getTime());
    }
    expect(await client.hget(`${prefix}jti:a`, "consumed")).toBe("1");
  });

  it("a revoked family's tombstone expires at the family's latest expiry", async () => {
    const early = future();
    const late = future(3 * HOUR);
    await store.recordOutstanding({ jti: "a", userId: null, familyId: "f", expiresAt: early });
    expect(await store.revokeFamily("f")).toBe(1);
    expect(await client.pexpiretime(`${prefix}revoked-family:f`)).toBe(early.getTime());
    await store.recordOutstanding({ jti: "b", userId: null, familyId: "f", expiresAt: late });
    expect(await store.isRevoked("b")).toBe(true);
    expect(await client.pexpiretime(`${prefix}revoked-family:f`)).toBe(late.getTime());
  });

  it("lets Redis forget a row at its expiry: nothing for flushExpired to count", async () => {
    await store.revoke("short", future(100));
    await store.recordOutstanding({ jti: "rec", userId: "7", familyId: "f", expiresAt: future(100) });
    expect(await store.isRevoked("short")).toBe(true);
    await sleep(250);
    expect(await store.isRevoked("short")).toBe(false);
    expect(await store.flushExpired()).toBe(0);
    expect(await store.revokeForUser("7")).toBe(0);
    expect(await store.revokeFamily("f")).toBe(0);
  });

  it("keeps what is written already expired until flushExpired (a day at most), then removes it", async () => {
    expect(await store.revoke("old", past())).toBe(true);
    await store.recordOutstanding({ jti: "rec-old", userId: "7", familyId: "f", expiresAt: past() });
    const ttl = await client.pttl(`${prefix}jti:old`);
    expect(ttl).toBeGreaterThan(DAY - 60_000);
    expect(ttl).toBeLessThanOrEqual(DAY);
    expect(await client.smembers(`${prefix}jti-unflushed`)).toEqual(
      expect.arrayContaining(["jti:old", "jti:rec-old"]),
    );
    expect(await store.isRevoked("old")).toBe(true);
    expect(await store.flushExpired()).toBe(2);
    expect(await store.isRevoked("old")).toBe(false);
    expect(await keysUnder(client, prefix)).toEqual([]); // rows, indexes and the flush list
  });

  it("a jti written expired and then given a later expiry stays, and the flush leaves it", async () => {
    await store.consume("a", past());
    await store.revoke("a", future());
    expect(await client.pexpiretime(`${prefix}jti:a`)).toBeLessThan(Date.now() + 2 * HOUR);
    expect(await store.flushExpired()).toBe(0);
    expect(await store.isRevoked("a")).toBe(true);
    expect(await keysUnder(client, prefix)).toEqual([`${prefix}jti:a`]);
  });

  it("a family revoked with no live token revokes the ones recorded before the next flush", async () => {
    expect(await store.revokeFamily("f")).toBe(0);
    expect(await client.pttl(`${prefix}revoked-family:f`)).toBeGreaterThan(DAY - 60_000);
    await store.recordOutstanding({ jti: "a", userId: "7", familyId: "f", expiresAt: future() });
    expect(await store.isRevoked("a")).toBe(true);
    expect(await client.pexpiretime(`${prefix}revoked-family:f`)).toBe(
      Number(await client.hget(`${prefix}jti:a`, "expiresAt")),
    );
    expect(await store.revokeFamily("g")).toBe(0);
    expect(await store.flushExpired()).toBe(0); // g's tombstone goes; f's lives on with "a"
    await store.recordOutstanding({ jti: "b", userId: "7", familyId: "g", expiresAt: future() });
    await store.recordOutstanding({ jti: "c", userId: "7", familyId: "f", expiresAt: future() });
    expect(await store.isRevoked("b")).toBe(false);
    expect(await store.isRevoked("c")).toBe(true);
  });

  it("flushExpired works through many rows in batches", async () => {
    await Promise.all(Array.from({ length: 1_201 }, (_, i) => store.revoke(`old-${i}`, past())));
    expect(await client.scard(`${prefix}jti-unflushed`)).toBe(1_201);
    expect(await store.flushExpired()).toBe(1_201);
    expect(await keysUnder(client, prefix)).toEqual([]);
  });

  it("refuses an empty jti or an invalid Date before it reaches Redis", async () => {
    await expect(store.isRevoked("")).rejects.toThrow(
      new TypeError("RedisRevocationStore: jti must be a non-empty string."),
    );
    await expect(store.revoke("a", new Date(Number.NaN))).rejects.toThrow(
      new TypeError("RedisRevocationStore: expiresAt must be a valid Date."),
    );
    expect(await keysUnder(client, prefix)).toEqual([]);
  });
});
