import { describe, expect, it } from "vitest";
import { MemoryTokenStore, type TokenRecord } from "../../src/index.js";

const record = (digest: string, userId: string, createdAt: number): TokenRecord => ({
  digest,
  userId,
  name: null,
  createdAt: new Date(createdAt),
  expiresAt: null,
  lastUsedAt: null,
});

describe("MemoryTokenStore", () => {
  it("saves, finds, lists oldest first, and deletes", async () => {
    const tokens = new MemoryTokenStore();
    await tokens.save(record("b", "1", 2000));
    await tokens.save(record("a", "1", 1000));
    await tokens.save(record("c", "2", 500));
    expect(await tokens.findByDigest("a")).toEqual(record("a", "1", 1000));
    expect(await tokens.findByDigest("z")).toBeNull();
    expect((await tokens.listForUser("1")).map((r) => r.digest)).toEqual(["a", "b"]);
    expect(await tokens.delete("a")).toBe(true);
    expect(await tokens.delete("a")).toBe(false);
    expect(await tokens.deleteForUser("1")).toBe(1);
    expect(await tokens.deleteForUser("1")).toBe(0);
    expect((await tokens.listForUser("2")).map((r) => r.digest)).toEqual(["c"]);
  });

  it("refuses a duplicate digest", async () => {
    const tokens = new MemoryTokenStore();
    await tokens.save(record("a", "1", 0));
    await expect(tokens.save(record("a", "2", 0))).rejects.toThrow(/digest exists/);
  });

  it("saveWithinLimit counts the user's unexpired tokens at the record's time, atomically", async () => {
    const tokens = new MemoryTokenStore();
    await tokens.save({ ...record("old", "1", 0), expiresAt: new Date(1000) });
    await tokens.save(record("a", "1", 0));
    await tokens.save(record("other", "2", 0));
    expect(await tokens.saveWithinLimit(record("b", "1", 1000), 2)).toBe(true);
    expect(await tokens.saveWithinLimit(record("c", "1", 1000), 2)).toBe(false);
    expect(await tokens.findByDigest("c")).toBeNull();
    await expect(tokens.saveWithinLimit(record("a", "3", 0), 5)).rejects.toThrow(/digest exists/);
    const racing = Array.from({ length: 10 }, (_, i) => tokens.saveWithinLimit(record(`r${i}`, "4", 0), 3));
    expect((await Promise.all(racing)).filter(Boolean)).toHaveLength(3);
    expect(await tokens.listForUser("4")).toHaveLength(3);
  });

  it("touches lastUsedAt and expiresAt, and ignores a missing record", async () => {
    const tokens = new MemoryTokenStore();
    await tokens.save(record("a", "1", 0));
    await tokens.touch("a", { lastUsedAt: new Date(5) });
    await tokens.touch("a", { expiresAt: new Date(9) });
    expect(await tokens.findByDigest("a")).toMatchObject({ lastUsedAt: new Date(5), expiresAt: new Date(9) });
    await tokens.touch("a", { expiresAt: null });
    expect((await tokens.findByDigest("a"))!.expiresAt).toBeNull();
    await expect(tokens.touch("missing", { lastUsedAt: new Date() })).resolves.toBeUndefined();
  });

  it("copies records in and out, dates included", async () => {
    const tokens = new MemoryTokenStore();
    const saved = record("a", "1", 0);
    await tokens.save(saved);
    saved.createdAt.setTime(99);
    const found = (await tokens.findByDigest("a"))!;
    found.createdAt.setTime(42);
    found.userId = "2";
    expect(await tokens.findByDigest("a")).toEqual(record("a", "1", 0));
  });

  it("hands every reader its own record; a Date changed in place is never handed out again", async () => {
    const tokens = new MemoryTokenStore();
    await tokens.save({ ...record("a", "1", 1000), expiresAt: new Date(5000), lastUsedAt: new Date(3000) });
    const first = (await tokens.findByDigest("a"))!;
    const second = (await tokens.findByDigest("a"))!;
    expect(second).not.toBe(first);
    first.expiresAt!.setTime(9_999_999);
    first.lastUsedAt!.setTime(0);
    first.createdAt.setTime(1);
    const third = (await tokens.findByDigest("a"))!;
    expect(third.expiresAt).toEqual(new Date(5000));
    expect(third.lastUsedAt).toEqual(new Date(3000));
    expect(third.createdAt).toEqual(new Date(1000));
    expect(third.expiresAt).not.toBe(first.expiresAt);
    await tokens.touch("a", { lastUsedAt: new Date(4000) });
    expect((await tokens.findByDigest("a"))!.lastUsedAt).toEqual(new Date(4000));
    expect(third.lastUsedAt).toEqual(new Date(3000));
  });

  it("matches whole digests: ones that share their first characters stay apart", async () => {
    const tokens = new MemoryTokenStore();
    const digests = ["1", "2", "3"].map((digit) => `abcdef0${digit.repeat(57)}`);
    for (const [i, digest] of digests.entries()) await tokens.save(record(digest, String(i % 2), i));
    await expect(tokens.save(record(digests[1]!, "9", 0))).rejects.toThrow(/digest exists/);
    for (const [i, digest] of digests.entries())
      expect(await tokens.findByDigest(digest)).toEqual(record(digest, String(i % 2), i));
    expect(await tokens.findByDigest(`abcdef0${"4".repeat(57)}`)).toBeNull();
    expect(await tokens.findByDigest(digests[0]!.toUpperCase())).toBeNull();
    expect(await tokens.findByDigest("abc")).toBeNull();
    expect(await tokens.delete("abcdef0")).toBe(false);
    expect(await tokens.delete(digests[1]!)).toBe(true);
    expect(await tokens.findByDigest(digests[1]!)).toBeNull();
    expect(await tokens.findByDigest(digests[2]!)).toEqual(record(digests[2]!, "0", 2));
    expect((await tokens.listForUser("0")).map((r) => r.digest)).toEqual([digests[0], digests[2]]);
    expect(await tokens.deleteForUser("0")).toBe(2);
    expect(await tokens.listForUser("0")).toEqual([]);
    await tokens.save(record(digests[1]!, "1", 7));
    expect(await tokens.findByDigest(digests[1]!)).toEqual(record(digests[1]!, "1", 7));
  });

  it("finds short, empty and non-hex digests exactly", async () => {
    const tokens = new MemoryTokenStore();
    for (const digest of ["", "a", "zz", "ABC", "\u{1F600}"]) await tokens.save(record(digest, "1", 0));
    for (const digest of ["", "a", "zz", "ABC", "\u{1F600}"])
      expect((await tokens.findByDigest(digest))?.digest).toBe(digest);
    expect(await tokens.findByDigest("abc")).toBeNull();
    expect(await tokens.deleteForUser("1")).toBe(5);
  });
});
