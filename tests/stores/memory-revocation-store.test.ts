import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { MemoryRevocationStore } from "../../src/stores/memory.js";
import type { OutstandingToken, RevocationStore } from "../../src/stores/types.js";

const T0 = Date.UTC(2025, 0, 1);
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const token = (
  jti: string,
  userId: string | null,
  familyId: string | null,
  exp = 3600,
): OutstandingToken => ({
  jti,
  userId,
  familyId,
  expiresAt: at(exp),
});

describe("MemoryRevocationStore", () => {
  let store: MemoryRevocationStore;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    store = new MemoryRevocationStore();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("implements RevocationStore", () => {
    expectTypeOf(store).toMatchTypeOf<RevocationStore>();
  });

  describe("revoke", () => {
    it("blacklists a recorded jti: true the first time, false after", async () => {
      await store.recordOutstanding(token("a", "1", null));
      expect(await store.isRevoked("a")).toBe(false);
      expect(await store.revoke("a", at(3600))).toBe(true);
      expect(await store.isRevoked("a")).toBe(true);
      expect(await store.revoke("a", at(3600))).toBe(false);
    });

    it("revokes a jti that was never recorded (an access token under checkRevokedAccess)", async () => {
      expect(await store.isRevoked("access")).toBe(false);
      expect(await store.revoke("access", at(300))).toBe(true);
      expect(await store.revoke("access", at(300))).toBe(false);
      expect(await store.isRevoked("access")).toBe(true);
      expect(await store.isRevoked("other")).toBe(false);
    });

    it("keeps a jti revoked when it is recorded after being revoked", async () => {
      await store.revoke("a", at(60));
      await store.recordOutstanding(token("a", "1", "f", 3600));
      expect(await store.isRevoked("a")).toBe(true);
      expect(await store.revokeForUser("1")).toBe(0);
      vi.setSystemTime(at(60));
      expect(await store.flushExpired()).toBe(0); // the recorded expiry is the later one
      expect(await store.isRevoked("a")).toBe(true);
    });
  });

  describe("consume", () => {
    it("is true for exactly one of 50 concurrent callers", async () => {
      await store.recordOutstanding(token("a", "1", "f"));
      const results = await Promise.all(Array.from({ length: 50 }, () => store.consume("a", at(3600))));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.consume("a", at(3600))).toBe(false);
    });

    it("works for a jti that was never recorded", async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => store.consume("x", at(3600))));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("does not revoke: rotation without blacklisting", async () => {
      await store.recordOutstanding(token("a", "1", "f"));
      expect(await store.consume("a", at(3600))).toBe(true);
      expect(await store.isRevoked("a")).toBe(false);
      // A consumed jti presented again: consume says false while isRevoked says false, the reuse signal.
      expect(await store.consume("a", at(3600))).toBe(false);
      expect(await store.isRevoked("a")).toBe(false);
    });

    it("stamps consumedAt with the clock of the one successful consume, and keeps it", async () => {
      await store.recordOutstanding(token("a", "1", "f"));
      expect(await store.consumedAt("a")).toBeNull();
      vi.setSystemTime(T0 + 1_234);
      expect(await store.consume("a", at(3600))).toBe(true);
      vi.setSystemTime(T0 + 60_000);
      expect(await store.consume("a", at(3600))).toBe(false);
      await store.revoke("a", at(3600));
      expect(await store.consumedAt("a")).toEqual(new Date(T0 + 1_234));
      await store.revoke("b", at(3600));
      expect(await store.consume("b", at(3600))).toBe(false);
      expect(await store.consumedAt("b")).toBeNull();
    });

    it("lets a consumed jti be revoked afterwards", async () => {
      expect(await store.consume("a", at(3600))).toBe(true);
      expect(await store.revoke("a", at(3600))).toBe(true);
      expect(await store.isRevoked("a")).toBe(true);
    });

    it("is false for a revoked jti, directly, by family or by user", async () => {
      await store.revoke("direct", at(3600));
      await store.recordOutstanding(token("fam", null, "f"));
      await store.revokeFamily("f");
      await store.recordOutstanding(token("usr", "1", null));
      await store.revokeForUser("1");
      for (const jti of ["direct", "fam", "usr"]) expect(await store.consume(jti, at(3600))).toBe(false);
    });

    it("is false for every caller queued after a revoke", async () => {
      const [revoked, ...consumed] = await Promise.all([
        store.revoke("a", at(3600)),
        ...Array.from({ length: 10 }, () => store.consume("a", at(3600))),
      ]);
      expect(revoked).toBe(true);
      expect(consumed.every((result) => result === false)).toBe(true);
    });
  });

  describe("revokeFamily", () => {
    it("revokes the family's recorded tokens, and no others", async () => {
      await store.recordOutstanding(token("f1", "1", "f"));
      await store.recordOutstanding(token("f2", "1", "f"));
      await store.recordOutstanding(token("g1", "1", "g"));
      await store.recordOutstanding(token("n1", "1", null));
      await store.revoke("f2", at(3600));
      expect(await store.revokeFamily("f")).toBe(1); // f2 was already revoked
      expect(await store.isRevoked("f1")).toBe(true);
      expect(await store.isRevoked("f2")).toBe(true);
      expect(await store.isRevoked("g1")).toBe(false);
      expect(await store.isRevoked("n1")).toBe(false);
      expect(await store.revokeFamily("f")).toBe(0);
    });

    it("revokes tokens recorded in the family later, until the family expires and is flushed", async () => {
      await store.recordOutstanding(token("f1", "1", "f", 100));
      expect(await store.revokeFamily("f")).toBe(1);
      await store.recordOutstanding(token("f2", "1", "f", 200)); // the tombstone now lasts until 200
      expect(await store.isRevoked("f2")).toBe(true);

      vi.setSystemTime(at(150));
      expect(await store.flushExpired()).toBe(1); // f1
      await store.recordOutstanding(token("f3", "1", "f", 300));
      expect(await store.isRevoked("f3")).toBe(true); // still within the latest expiry seen (300)

      vi.setSystemTime(at(300));
      expect(await store.flushExpired()).toBe(2); // f2, f3, and the tombstone
      await store.recordOutstanding(token("f4", "1", "f", 400));
      expect(await store.isRevoked("f4")).toBe(false);
    });

    it("revokes tokens recorded in an unknown family after it was revoked, until the next flush", async () => {
      expect(await store.revokeFamily("f")).toBe(0);
      await store.recordOutstanding(token("f1", "1", "f"));
      expect(await store.isRevoked("f1")).toBe(true);

      expect(await store.revokeFamily("g")).toBe(0);
      expect(await store.flushExpired()).toBe(0); // the empty tombstone of "g" expired at once
      await store.recordOutstanding(token("g1", "1", "g"));
      expect(await store.isRevoked("g1")).toBe(false);
      expect(await store.isRevoked("f1")).toBe(true); // "f" lasts until f1's expiry
    });
  });

  describe("revokeForUser", () => {
    it("revokes the user's tokens recorded so far, not later ones nor other users'", async () => {
      await store.recordOutstanding(token("a", "1", "f"));
      await store.recordOutstanding(token("b", "1", "g"));
      await store.recordOutstanding(token("c", "2", "h"));
      expect(await store.revokeForUser("1")).toBe(2);
      expect(await store.revokeForUser("1")).toBe(0);
      expect(await store.isRevoked("a")).toBe(true);
      expect(await store.isRevoked("b")).toBe(true);
      expect(await store.isRevoked("c")).toBe(false);

      await store.recordOutstanding(token("d", "1", "k")); // a new login after "logout everywhere"
      expect(await store.isRevoked("d")).toBe(false);
      expect(await store.consume("d", at(3600))).toBe(true);
      expect(await store.revokeForUser("nobody")).toBe(0);
    });
  });

  describe("recordOutstanding", () => {
    it("is idempotent for the same jti: the first record wins", async () => {
      await store.recordOutstanding(token("a", "1", "f"));
      await store.recordOutstanding(token("a", "1", "f"));
      await store.recordOutstanding(token("a", "2", "g"));
      expect(await store.revokeForUser("2")).toBe(0);
      expect(await store.revokeFamily("g")).toBe(0);
      expect(await store.revokeForUser("1")).toBe(1);
    });

    it("copies the record in", async () => {
      const recorded = token("a", "1", "f", 100);
      await store.recordOutstanding(recorded);
      recorded.expiresAt.setTime(at(9999).getTime());
      recorded.userId = "2";
      vi.setSystemTime(at(100));
      expect(await store.revokeForUser("2")).toBe(0);
      expect(await store.flushExpired()).toBe(1);
    });
  });

  describe("flushExpired", () => {
    it("removes outstanding, revoked and consumed rows whose expiry is at or before now", async () => {
      await store.recordOutstanding(token("out", "1", "f", 100));
      await store.revoke("rev", at(100));
      await store.consume("used", at(100));
      await store.recordOutstanding(token("late", "1", "f", 101));
      await store.revoke("late-rev", at(101));

      vi.setSystemTime(at(99));
      expect(await store.flushExpired()).toBe(0);

      vi.setSystemTime(at(100));
      expect(await store.flushExpired()).toBe(3);
      expect(await store.flushExpired()).toBe(0);
      expect(await store.isRevoked("rev")).toBe(false); // forgotten: the token is refused by exp anyway
      expect(await store.isRevoked("late-rev")).toBe(true);
      expect(await store.revokeForUser("1")).toBe(1); // only "late" is left in the user's index
    });

    it("leaves expired rows answering as stored until the flush", async () => {
      await store.revoke("rev", at(100));
      await store.consume("used", at(100));
      vi.setSystemTime(at(500));
      expect(await store.isRevoked("rev")).toBe(true);
      expect(await store.consume("used", at(100))).toBe(false);
      expect(await store.flushExpired()).toBe(2);
      expect(await store.isRevoked("rev")).toBe(false);
    });

    it("keeps a row until the latest expiry it was given", async () => {
      await store.recordOutstanding(token("a", "1", null, 100));
      expect(await store.revoke("a", at(200))).toBe(true);
      expect(await store.revoke("a", at(50))).toBe(false);
      vi.setSystemTime(at(150));
      expect(await store.flushExpired()).toBe(0);
      expect(await store.isRevoked("a")).toBe(true);
      vi.setSystemTime(at(200));
      expect(await store.flushExpired()).toBe(1);
    });

    it("counts a jti once when it was recorded, consumed and revoked", async () => {
      await store.recordOutstanding(token("a", "1", "f", 100));
      await store.consume("a", at(100));
      await store.revoke("a", at(100));
      vi.setSystemTime(at(100));
      expect(await store.flushExpired()).toBe(1);
      expect(await store.consume("a", at(100))).toBe(true); // forgotten: callers check exp first
    });
  });

  describe("bad input", () => {
    const validDate = at(60);
    it.each([
      [
        "isRevoked with an empty jti",
        (s: MemoryRevocationStore) => s.isRevoked(""),
        /jti must be a non-empty string/,
      ],
      ["revoke with an empty jti", (s: MemoryRevocationStore) => s.revoke("", validDate), /jti/],
      ["consume with an empty jti", (s: MemoryRevocationStore) => s.consume("", validDate), /jti/],
      [
        "revoke with a number for expiresAt",
        (s: MemoryRevocationStore) => s.revoke("a", 123 as unknown as Date),
        /expiresAt must be a valid Date/,
      ],
      [
        "consume with a string for expiresAt",
        (s: MemoryRevocationStore) => s.consume("a", "2030-01-01" as unknown as Date),
        /expiresAt must be a valid Date/,
      ],
      [
        "revoke with an invalid Date",
        (s: MemoryRevocationStore) => s.revoke("a", new Date(Number.NaN)),
        /expiresAt must be a valid Date/,
      ],
      [
        "recordOutstanding with an empty jti",
        (s: MemoryRevocationStore) => s.recordOutstanding(token("", "1", null)),
        /jti must be a non-empty string/,
      ],
      [
        "recordOutstanding without a Date",
        (s: MemoryRevocationStore) =>
          s.recordOutstanding({ ...token("a", "1", null), expiresAt: 5 as unknown as Date }),
        /expiresAt must be a valid Date/,
      ],
      [
        "recordOutstanding with an empty familyId",
        (s: MemoryRevocationStore) => s.recordOutstanding(token("a", "1", "")),
        /familyId must be a non-empty string or null/,
      ],
      [
        "recordOutstanding with a numeric userId",
        (s: MemoryRevocationStore) => s.recordOutstanding(token("a", 1 as unknown as string, null)),
        /userId must be a non-empty string or null/,
      ],
      [
        "recordOutstanding with no token",
        (s: MemoryRevocationStore) => s.recordOutstanding(null as unknown as OutstandingToken),
        /OutstandingToken/,
      ],
      ["revokeFamily with an empty id", (s: MemoryRevocationStore) => s.revokeFamily(""), /familyId/],
      ["revokeForUser with an empty id", (s: MemoryRevocationStore) => s.revokeForUser(""), /userId/],
    ])("refuses %s with a TypeError", async (_name, call, message) => {
      const attempt = call(store);
      await expect(attempt).rejects.toBeInstanceOf(TypeError);
      await expect(attempt).rejects.toThrow(message);
    });

    it("changes nothing when it refuses", async () => {
      await expect(store.recordOutstanding(token("a", "1", ""))).rejects.toThrow(TypeError);
      expect(await store.revokeForUser("1")).toBe(0);
      expect(await store.consume("a", at(60))).toBe(true);
    });
  });
});
