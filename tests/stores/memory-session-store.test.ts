import { afterEach, describe, expect, it, vi } from "vitest";
import { MemorySessionStore, type SessionRecord } from "../../src/index.js";

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const HOUR = 3_600_000;

const record = (
  idDigest: string,
  userId: string,
  expiresAt = T0 + HOUR,
  absoluteExpiresAt = T0 + 2 * HOUR,
): SessionRecord => ({
  idDigest,
  userId,
  createdAt: new Date(T0),
  expiresAt: new Date(expiresAt),
  absoluteExpiresAt: new Date(absoluteExpiresAt),
  data: { _auth_user_hash: `hash-of-${userId}`, cart: { items: [1, 2] } },
});

afterEach(() => {
  vi.useRealTimers();
});

describe("MemorySessionStore", () => {
  it("creates, gets, deletes, and counts", async () => {
    const store = new MemorySessionStore();
    expect(store.size).toBe(0);
    await store.create(record("a", "1"));
    await store.create(record("b", "2"));
    expect(store.size).toBe(2);
    expect(await store.get("a")).toEqual(record("a", "1"));
    expect(await store.get("b")).toEqual(record("b", "2"));
    expect(await store.get("z")).toBeNull();
    expect(await store.delete("a")).toBe(true);
    expect(await store.delete("a")).toBe(false);
    expect(await store.get("a")).toBeNull();
    expect(store.size).toBe(1);
  });

  it("refuses a second session with the same digest, keeping the first", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", "1"));
    await expect(store.create(record("a", "2"))).rejects.toThrow(
      new Error("MemorySessionStore: a session with this digest exists."),
    );
    expect(await store.get("a")).toEqual(record("a", "1"));
    expect(store.size).toBe(1);
  });

  it("touches only the idle expiry", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", "1"));
    await store.touch("a", new Date(T0 + 90 * 60_000));
    expect(await store.get("a")).toEqual({ ...record("a", "1"), expiresAt: new Date(T0 + 90 * 60_000) });
  });

  it("does nothing when touching a missing session", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", "1"));
    await expect(store.touch("missing", new Date(T0))).resolves.toBeUndefined();
    expect(await store.get("missing")).toBeNull();
    expect(store.size).toBe(1);
    expect(await store.get("a")).toEqual(record("a", "1"));
  });

  it("deletes every session of one user, returning the count", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a1", "1"));
    await store.create(record("b1", "2"));
    await store.create(record("a2", "1"));
    await store.create(record("a3", "1"));
    expect(await store.deleteForUser("1")).toBe(3);
    expect(await store.deleteForUser("1")).toBe(0);
    expect(await store.deleteForUser("404")).toBe(0);
    expect(await store.get("a1")).toBeNull();
    expect(await store.get("a2")).toBeNull();
    expect(await store.get("a3")).toBeNull();
    expect(await store.get("b1")).toEqual(record("b1", "2"));
    expect(store.size).toBe(1);
  });

  it("prunes sessions whose idle or absolute expiry has passed, the instant of expiry included", async () => {
    const store = new MemorySessionStore();
    await store.create(record("idle-past", "1", T0 - 1, T0 + HOUR));
    await store.create(record("idle-now", "1", T0, T0 + HOUR));
    // A store may hold an idle expiry past the absolute one; the earlier of the two counts.
    await store.create(record("absolute-past", "1", T0 + HOUR, T0 - 1));
    await store.create(record("live", "1", T0 + 1, T0 + HOUR));
    expect(store.prune(new Date(T0))).toBe(3);
    expect(store.size).toBe(1);
    expect(await store.get("live")).toEqual(record("live", "1", T0 + 1, T0 + HOUR));
    expect(store.prune(new Date(T0))).toBe(0);
    expect(store.prune(new Date(T0 + 1))).toBe(1);
    expect(store.size).toBe(0);
  });

  it("prunes against the clock by default", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    const store = new MemorySessionStore();
    await store.create(record("a", "1", T0 + 1000, T0 + HOUR));
    expect(store.prune()).toBe(0);
    vi.setSystemTime(T0 + 1000);
    expect(store.prune()).toBe(1);
    expect(store.size).toBe(0);
  });

  it("keeps expired sessions until pruned or deleted (get does not check expiry)", async () => {
    const store = new MemorySessionStore();
    await store.create(record("old", "1", 0, 0));
    expect(await store.get("old")).toEqual(record("old", "1", 0, 0));
    expect(store.size).toBe(1);
  });

  it("copies records in: mutating what was stored changes nothing", async () => {
    const store = new MemorySessionStore();
    const stored = record("a", "1");
    await store.create(stored);
    stored.userId = "2";
    stored.createdAt.setTime(0);
    stored.expiresAt.setTime(0);
    stored.absoluteExpiresAt.setTime(0);
    stored.data._auth_user_hash = "forged";
    (stored.data.cart as { items: number[] }).items.push(3);
    stored.data.admin = true;
    expect(await store.get("a")).toEqual(record("a", "1"));
  });

  it("copies records out: mutating a returned record or its data changes nothing", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", "1"));
    const found = (await store.get("a"))!;
    found.userId = "2";
    found.idDigest = "b";
    found.createdAt.setTime(0);
    found.expiresAt.setTime(0);
    found.absoluteExpiresAt.setTime(0);
    found.data._auth_user_hash = "forged";
    (found.data.cart as { items: number[] }).items.push(3);
    delete found.data.cart;
    expect(await store.get("a")).toEqual(record("a", "1"));
    expect(await store.get("b")).toBeNull();
    // Two reads are two copies.
    expect(await store.get("a")).not.toBe(await store.get("a"));
  });

  it("copies the touched date in", async () => {
    const store = new MemorySessionStore();
    await store.create(record("a", "1"));
    const when = new Date(T0 + 30 * 60_000);
    await store.touch("a", when);
    when.setTime(0);
    expect((await store.get("a"))!.expiresAt).toEqual(new Date(T0 + 30 * 60_000));
  });

  it("keeps data as JSON, as a shared store would", async () => {
    const store = new MemorySessionStore();
    await store.create({
      ...record("a", "1"),
      data: { when: new Date(T0), skip: undefined, n: 1, nested: { ok: null } },
    });
    expect((await store.get("a"))!.data).toStrictEqual({
      when: "2026-11-28T12:00:00.000Z",
      n: 1,
      nested: { ok: null },
    });
  });
});
