/**
 * The RevocationStore conformance suite.
 */
import type { OutstandingToken, RevocationStore } from "../../stores/types.js";
import {
  type ConformanceOptions,
  type ConformanceTestAPI,
  defineTests,
  HOUR,
  type StoreFactory,
} from "./harness.js";

/**
 * Options for {@link testRevocationStore}.
 *
 * @example
 * ```ts
 * testRevocationStore(factory, { describe, it, expect }, { name: "RedisRevocationStore", nativeExpiry: true });
 * ```
 */
export interface RevocationConformanceOptions extends ConformanceOptions {
  /**
   * The backend deletes rows itself once their `expiresAt` passes (Redis `PEXPIREAT`), so an expired row
   * may be gone before `flushExpired` runs and `flushExpired` may count fewer rows than expired (or count
   * index entries it trims). Default false: expired rows answer as stored until `flushExpired` removes
   * them, and it returns exactly how many jti rows went, as docs/revocation.md describes for SQL.
   */
  nativeExpiry?: boolean;
}

/**
 * Registers the {@link RevocationStore} contract as tests with the caller's runner:
 *
 * - `recordOutstanding` is idempotent (the first record wins) and copies its argument;
 * - `revoke` answers true once, then false, for recorded and never-recorded jtis;
 * - `consume` answers true exactly once, false after and for a jti revoked directly, by family or by
 *   user, and does not revoke (`isRevoked` stays false);
 * - `revokeFamily` revokes the family's outstanding tokens and those recorded in it later;
 *   `revokeForUser` those recorded so far, not later ones; both count only newly revoked tokens;
 * - `flushExpired` removes expired rows (outstanding, revoked, consumed, family tombstones), keeps live
 *   ones, and counts them;
 * - concurrency: 50 parallel `consume` of one jti give one true, 20 parallel `revoke` one true,
 *   parallel `revokeFamily`/`revokeForUser` count each token once, parallel records all land.
 *
 * Expiry is tested against the real clock with expiries an hour away, so the store may use its own
 * (database or Redis server) clock if it is within a few minutes of the test's.
 *
 * @param factory - makes a fresh, empty store per test (or a `{ store, cleanup }` fixture)
 * @param t - the runner's `{ describe, it, expect }`
 * @param options - title, timeout, `nativeExpiry`
 * @example
 * ```ts
 * import { describe, expect, it } from "vitest";
 * import { MemoryRevocationStore } from "portcullis";
 * import { testRevocationStore } from "portcullis/testing";
 *
 * testRevocationStore(() => new MemoryRevocationStore(), { describe, it, expect });
 * ```
 */
export function testRevocationStore(
  factory: StoreFactory<RevocationStore>,
  t: ConformanceTestAPI,
  options: RevocationConformanceOptions = {},
): void {
  const test = defineTests(factory, t, options, "consume");
  const native = options.nativeExpiry === true;
  const future = (): Date => new Date(Date.now() + HOUR);
  const past = (): Date => new Date(Date.now() - HOUR);
  const token = (jti: string, userId: string | null, familyId: string | null, expiresAt = future()) =>
    ({ jti, userId, familyId, expiresAt }) satisfies OutstandingToken;

  t.describe(options.name ?? "RevocationStore conformance", () => {
    t.describe("recordOutstanding", () => {
      test("records a token that is not revoked, idempotently: the first record wins", async ({
        store,
        expect,
      }) => {
        expect(await store.isRevoked("a")).toBe(false);
        await store.recordOutstanding(token("a", "1", "f"));
        expect(await store.isRevoked("a")).toBe(false);
        await store.recordOutstanding(token("a", "1", "f"));
        await store.recordOutstanding(token("a", "2", "g"));
        expect(await store.isRevoked("a")).toBe(false);
        expect(await store.revokeForUser("2")).toBe(0);
        expect(await store.revokeFamily("g")).toBe(0);
        expect(await store.isRevoked("a")).toBe(false);
        expect(await store.revokeForUser("1")).toBe(1);
        expect(await store.isRevoked("a")).toBe(true);
      });

      test("records tokens without a user or a family", async ({ store, expect }) => {
        await store.recordOutstanding(token("a", null, null));
        await store.recordOutstanding(token("b", "1", null));
        await store.recordOutstanding(token("c", null, "f"));
        expect(await store.revokeForUser("1")).toBe(1);
        expect(await store.revokeFamily("f")).toBe(1);
        expect(await store.isRevoked("a")).toBe(false);
        expect(await store.consume("a", future())).toBe(true);
      });

      test("copies the token in", async ({ store, expect }) => {
        const recorded = token("a", "1", "f");
        await store.recordOutstanding(recorded);
        recorded.userId = "2";
        recorded.familyId = "g";
        recorded.expiresAt.setTime(Date.now() - HOUR);
        expect(await store.flushExpired()).toBe(0);
        expect(await store.revokeForUser("2")).toBe(0);
        expect(await store.revokeFamily("g")).toBe(0);
        expect(await store.revokeForUser("1")).toBe(1);
      });
    });

    t.describe("revoke and isRevoked", () => {
      test("revoke answers true for a recorded jti, then false", async ({ store, expect }) => {
        await store.recordOutstanding(token("a", "1", "f"));
        await store.recordOutstanding(token("b", "1", "f"));
        expect(await store.revoke("a", future())).toBe(true);
        expect(await store.isRevoked("a")).toBe(true);
        expect(await store.revoke("a", future())).toBe(false);
        expect(await store.isRevoked("a")).toBe(true);
        expect(await store.isRevoked("b")).toBe(false);
      });

      test("revoke works for a jti that was never recorded", async ({ store, expect }) => {
        expect(await store.revoke("access", future())).toBe(true);
        expect(await store.revoke("access", future())).toBe(false);
        expect(await store.isRevoked("access")).toBe(true);
        expect(await store.isRevoked("other")).toBe(false);
      });

      test("a jti revoked before it is recorded stays revoked, and counts for nobody later", async ({
        store,
        expect,
      }) => {
        expect(await store.revoke("a", future())).toBe(true);
        await store.recordOutstanding(token("a", "1", "f"));
        expect(await store.isRevoked("a")).toBe(true);
        expect(await store.revokeForUser("1")).toBe(0);
        expect(await store.revokeFamily("f")).toBe(0);
      });

      test("answers exactly per jti: no prefix or case matching", async ({ store, expect }) => {
        await store.revoke("abc", future());
        for (const jti of ["ABC", "ab", "abcd", "abc ", "a%", "a_c"])
          expect(await store.isRevoked(jti)).toBe(false);
      });
    });

    t.describe("consume", () => {
      test("answers true once, then false; consuming does not revoke", async ({ store, expect }) => {
        await store.recordOutstanding(token("a", "1", "f"));
        expect(await store.consume("a", future())).toBe(true);
        expect(await store.isRevoked("a")).toBe(false);
        expect(await store.consume("a", future())).toBe(false);
        expect(await store.isRevoked("a")).toBe(false);
        expect(await store.consume("b", future())).toBe(true); // never recorded: works too
        expect(await store.consume("b", future())).toBe(false);
      });

      test("answers false for a jti revoked directly, by family or by user", async ({ store, expect }) => {
        await store.recordOutstanding(token("direct", "1", null));
        await store.revoke("direct", future());
        await store.revoke("unrecorded", future());
        await store.recordOutstanding(token("fam", null, "f"));
        await store.revokeFamily("f");
        await store.recordOutstanding(token("usr", "2", null));
        await store.revokeForUser("2");
        for (const jti of ["direct", "unrecorded", "fam", "usr"]) {
          expect(await store.consume(jti, future())).toBe(false);
          expect(await store.isRevoked(jti)).toBe(true);
        }
      });

      test("a consumed jti can still be revoked", async ({ store, expect }) => {
        await store.recordOutstanding(token("a", "1", "f"));
        expect(await store.consume("a", future())).toBe(true);
        expect(await store.revoke("a", future())).toBe(true);
        expect(await store.isRevoked("a")).toBe(true);
        await store.recordOutstanding(token("b", "1", "f"));
        await store.consume("b", future());
        expect(await store.revokeFamily("f")).toBe(1); // b only: a was already revoked
        expect(await store.isRevoked("b")).toBe(true);
      });
    });

    t.describe("revokeFamily", () => {
      test("revokes the family's outstanding tokens, counts the newly revoked, leaves others", async ({
        store,
        expect,
      }) => {
        await store.recordOutstanding(token("f1", "1", "f"));
        await store.recordOutstanding(token("f2", "1", "f"));
        await store.recordOutstanding(token("f3", "2", "f"));
        await store.recordOutstanding(token("g1", "1", "g"));
        await store.recordOutstanding(token("n1", "1", null));
        await store.revoke("f2", future());
        expect(await store.revokeFamily("f")).toBe(2);
        for (const jti of ["f1", "f2", "f3"]) expect(await store.isRevoked(jti)).toBe(true);
        for (const jti of ["g1", "n1"]) expect(await store.isRevoked(jti)).toBe(false);
        expect(await store.revokeFamily("f")).toBe(0);
        expect(await store.revokeFamily("unknown")).toBe(0);
      });

      test("revokes tokens recorded in the family later", async ({ store, expect }) => {
        await store.recordOutstanding(token("f1", "1", "f"));
        expect(await store.revokeFamily("f")).toBe(1);
        await store.recordOutstanding(token("f2", "1", "f"));
        expect(await store.isRevoked("f2")).toBe(true);
        expect(await store.consume("f2", future())).toBe(false);
        // A family revoked before any of its tokens was recorded.
        expect(await store.revokeFamily("g")).toBe(0);
        await store.recordOutstanding(token("g1", "1", "g"));
        expect(await store.isRevoked("g1")).toBe(true);
        await store.recordOutstanding(token("h1", "1", "h"));
        expect(await store.isRevoked("h1")).toBe(false);
      });
    });

    t.describe("revokeForUser", () => {
      test("revokes the user's tokens recorded so far, not later ones nor other users'", async ({
        store,
        expect,
      }) => {
        await store.recordOutstanding(token("a", "1", "f"));
        await store.recordOutstanding(token("b", "1", "g"));
        await store.recordOutstanding(token("c", "1", null));
        await store.recordOutstanding(token("d", "2", "h"));
        await store.recordOutstanding(token("e", "10", null));
        await store.revoke("c", future());
        expect(await store.revokeForUser("1")).toBe(2);
        expect(await store.revokeForUser("1")).toBe(0);
        expect(await store.revokeForUser("nobody")).toBe(0);
        for (const jti of ["a", "b", "c"]) expect(await store.isRevoked(jti)).toBe(true);
        for (const jti of ["d", "e"]) expect(await store.isRevoked(jti)).toBe(false);
        await store.recordOutstanding(token("later", "1", "k")); // a new login after "logout everywhere"
        expect(await store.isRevoked("later")).toBe(false);
        expect(await store.consume("later", future())).toBe(true);
      });
    });

    t.describe("flushExpired", () => {
      test("removes expired rows, keeps live ones, and counts what it removed", async ({ store, expect }) => {
        await store.recordOutstanding(token("out-old", "1", null, past()));
        await store.revoke("rev-old", past());
        await store.consume("used-old", past());
        await store.recordOutstanding(token("all-old", "1", null, past()));
        await store.consume("all-old", past());
        await store.revoke("all-old", past());
        await store.recordOutstanding(token("out-new", "1", null));
        await store.revoke("rev-new", future());
        await store.consume("used-new", future());
        if (!native) {
          // Rows answer as stored until the flush, expired or not.
          expect(await store.isRevoked("rev-old")).toBe(true);
          expect(await store.isRevoked("all-old")).toBe(true);
        }
        const removed = await store.flushExpired();
        if (native) {
          expect(Number.isInteger(removed)).toBe(true);
          expect(removed).toBeGreaterThanOrEqual(0);
        } else {
          expect(removed).toBe(4); // out-old, rev-old, used-old, all-old (one row per jti)
          expect(await store.flushExpired()).toBe(0);
        }
        expect(await store.isRevoked("rev-old")).toBe(false);
        expect(await store.isRevoked("all-old")).toBe(false);
        expect(await store.consume("used-old", future())).toBe(true); // forgotten: callers check exp first
        expect(await store.isRevoked("rev-new")).toBe(true);
        expect(await store.consume("used-new", future())).toBe(false);
        expect(await store.revokeForUser("1")).toBe(1); // out-new; out-old is gone
      });

      test("keeps a row until the latest expiry it was given", async ({ store, expect }) => {
        await store.recordOutstanding(token("a", "1", null, past()));
        expect(await store.revoke("a", future())).toBe(true);
        await store.consume("b", past());
        await store.revoke("b", future());
        const removed = await store.flushExpired();
        if (!native) expect(removed).toBe(0);
        expect(await store.isRevoked("a")).toBe(true);
        expect(await store.isRevoked("b")).toBe(true);
      });

      test("removes a revoked family once all its tokens expired, not before", async ({ store, expect }) => {
        await store.recordOutstanding(token("f1", "1", "f", past()));
        expect(await store.revokeFamily("f")).toBe(1);
        await store.recordOutstanding(token("g1", "1", "g", past()));
        await store.recordOutstanding(token("g2", "1", "g"));
        expect(await store.revokeFamily("g")).toBe(2);
        const removed = await store.flushExpired();
        if (!native) expect(removed).toBe(2); // f1, g1
        await store.recordOutstanding(token("f2", "1", "f"));
        expect(await store.isRevoked("f2")).toBe(false); // the family "f" is forgotten
        await store.recordOutstanding(token("g3", "1", "g"));
        expect(await store.isRevoked("g3")).toBe(true); // "g" lives as long as g2
      });

      test("answers 0 on an empty store", async ({ store, expect }) => {
        expect(await store.flushExpired()).toBe(0);
      });
    });

    t.describe("concurrency", () => {
      test("50 parallel consume of one jti: exactly one true", async ({ store, expect }) => {
        await store.recordOutstanding(token("a", "1", "f"));
        const recorded = await Promise.all(Array.from({ length: 50 }, () => store.consume("a", future())));
        expect(recorded.filter((won) => won === true)).toHaveLength(1);
        const unrecorded = await Promise.all(Array.from({ length: 50 }, () => store.consume("b", future())));
        expect(unrecorded.filter((won) => won === true)).toHaveLength(1);
        expect(await store.consume("a", future())).toBe(false);
        expect(await store.isRevoked("a")).toBe(false);
      });

      test("20 parallel revoke of one jti: exactly one true", async ({ store, expect }) => {
        await store.recordOutstanding(token("a", "1", "f"));
        const recorded = await Promise.all(Array.from({ length: 20 }, () => store.revoke("a", future())));
        expect(recorded.filter((first) => first === true)).toHaveLength(1);
        const unrecorded = await Promise.all(Array.from({ length: 20 }, () => store.revoke("b", future())));
        expect(unrecorded.filter((first) => first === true)).toHaveLength(1);
        expect(await store.isRevoked("a")).toBe(true);
        expect(await store.isRevoked("b")).toBe(true);
      });

      test("parallel revokeFamily and revokeForUser count each token once", async ({ store, expect }) => {
        for (let i = 0; i < 5; i++) await store.recordOutstanding(token(`f${i}`, "1", "f"));
        for (let i = 0; i < 5; i++) await store.recordOutstanding(token(`u${i}`, "2", null));
        const family = await Promise.all(Array.from({ length: 10 }, () => store.revokeFamily("f")));
        expect(family.reduce((sum, n) => sum + n, 0)).toBe(5);
        const user = await Promise.all(Array.from({ length: 10 }, () => store.revokeForUser("2")));
        expect(user.reduce((sum, n) => sum + n, 0)).toBe(5);
      });

      test("parallel records of distinct jtis all land; of one jti, once", async ({ store, expect }) => {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.recordOutstanding(token(`j${i}`, "1", "f"))),
        );
        await Promise.all(
          Array.from({ length: 20 }, () => store.recordOutstanding(token("same", "2", null))),
        );
        expect(await store.revokeForUser("2")).toBe(1);
        expect(await store.revokeFamily("f")).toBe(50);
      });
    });
  });
}
