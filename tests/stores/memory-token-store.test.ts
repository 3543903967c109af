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
});
