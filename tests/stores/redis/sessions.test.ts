import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../../src/index.js";
import { RedisSessionStore } from "../../../src/stores/redis/index.js";
import { connect, deleteKeys, freshPrefix, keysUnder, skipRedis } from "./service.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function session(idDigest: string, userId: string, idleMs: number, absoluteMs = 14 * DAY): SessionRecord {
  const now = Date.now();
  return {
    idDigest,
    userId,
    createdAt: new Date(now - 1_000),
    expiresAt: new Date(now + idleMs),
    absoluteExpiresAt: new Date(now + absoluteMs),
    data: { _auth_user_hash: "abc", cart: { items: [] } },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skipRedis)("RedisSessionStore", () => {
  let client: Redis;
  let prefix: string;
  let store: RedisSessionStore;
  beforeAll(async () => {
    client = await connect();
    prefix = freshPrefix();
    store = new RedisSessionStore({ client, prefix });
  });
  afterAll(async () => {
    await client?.quit();
  });
  afterEach(async () => {
    await deleteKeys(client, prefix);
  });

  it("keeps a session as a hash, dates as epoch ms and data as JSON", async () => {
    const record = session("s1", "7", 2 * HOUR);
    await store.create(record);
    expect(await client.hgetall(`${prefix}session:s1`)).toEqual({
      userId: "7",
      createdAt: String(record.createdAt.getTime()),
      expiresAt: String(record.expiresAt.getTime()),
      absoluteExpiresAt: String(record.absoluteExpiresAt.getTime()),
      data: '{"_auth_user_hash":"abc","cart":{"items":[]}}',
    });
    expect(await keysUnder(client, prefix)).toEqual([`${prefix}session-user:7`, `${prefix}session:s1`]);
  });

  it("expires the session at the earlier of its idle and absolute expiries", async () => {
    const idle = session("idle", "7", 2 * HOUR);
    const absolute = session("absolute", "7", 2 * HOUR, HOUR);
    await store.create(idle);
    await store.create(absolute);
    expect(await client.pexpiretime(`${prefix}session:idle`)).toBe(idle.expiresAt.getTime());
    expect(await client.pexpiretime(`${prefix}session:absolute`)).toBe(absolute.absoluteExpiresAt.getTime());
    expect(await client.pexpiretime(`${prefix}session-user:7`)).toBe(idle.expiresAt.getTime());
  });

  it("touch moves the TTL with the idle expiry, never past the absolute expiry", async () => {
    const record = session("s1", "7", HOUR, 3 * HOUR);
    await store.create(record);
    const later = new Date(Date.now() + 2 * HOUR);
    await store.touch("s1", later);
    expect(await client.pexpiretime(`${prefix}session:s1`)).toBe(later.getTime());
    expect(await client.pexpiretime(`${prefix}session-user:7`)).toBe(later.getTime());
    const pastAbsolute = new Date(Date.now() + 5 * HOUR);
    await store.touch("s1", pastAbsolute);
    expect(await client.pexpiretime(`${prefix}session:s1`)).toBe(record.absoluteExpiresAt.getTime());
    expect((await store.get("s1"))?.expiresAt).toEqual(pastAbsolute); // stored as given, as MemorySessionStore does
  });

  it("a session touched into the past is gone", async () => {
    await store.create(session("s1", "7", HOUR));
    await store.touch("s1", new Date(Date.now() - 1_000));
    expect(await store.get("s1")).toBeNull();
    expect(await store.deleteForUser("7")).toBe(0);
  });

  it("lets Redis end a session, and trims ended ones from the user's index on the next write", async () => {
    await store.create(session("short", "7", 100));
    await store.create(session("other", "7", HOUR));
    await sleep(250);
    expect(await store.get("short")).toBeNull();
    expect(await client.zrange(`${prefix}session-user:7`, 0, -1)).toEqual(["short", "other"]); // by end
    await store.create(session("new", "7", HOUR));
    expect(await client.zrange(`${prefix}session-user:7`, 0, -1)).toEqual(["other", "new"]);
    expect(await store.deleteForUser("7")).toBe(2);
    expect(await keysUnder(client, prefix)).toEqual([]);
  });

  it("refuses data that is not JSON-serialisable, before it reaches Redis", async () => {
    const record = { ...session("s1", "7", HOUR), data: { big: 1n } };
    await expect(store.create(record)).rejects.toThrow(TypeError);
    expect(await keysUnder(client, prefix)).toEqual([]);
  });
});
