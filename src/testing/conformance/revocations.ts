/**
 * The RevocationStore conformance suite: its options, its entry point, and the cases of each operation.
 * The `flushExpired` cases are in revocation-expiry.ts, the concurrency cases in revocation-concurrency.ts.
 */
import type { RevocationStore } from "../../stores/types.js";
import {
  type ConformanceOptions,
  type ConformanceTestAPI,
  defineTests,
  HOUR,
  type StoreFactory,
} from "./harness.js";
import { testRevocationConcurrency } from "./revocation-concurrency.js";
import { testRevocationExpiry } from "./revocation-expiry.js";
import { future, past, token } from "./revocation-fixtures.js";

// How far `consumedAt` may be from the test's clock (ms): the store may stamp it with its own database or
// Redis clock, which the token service compares with its own for `reuseGraceSeconds`.
const CONSUMED_AT_TOLERANCE_MS = 2_000;

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
 * Registers the {@link RevocationStore} contract as tests with the caller's runner: `recordOutstanding`
 * (idempotent, the first record wins, copied in); `revoke` and `consume` true exactly once, for recorded
 * and never-recorded jtis (`consume` false after any revocation, and never revoking); `consumedAt` (the
 * time of the one successful `consume`, within 2 s of the test's clock, kept until the flush);
 * `revokeFamily` (tokens recorded in the family later too) and `revokeForUser` (not later ones), counting
 * only newly revoked tokens; `flushExpired` (expired rows and family tombstones go, live ones stay); and
 * concurrency (50 parallel `consume` of one jti give one true, each token counted once).
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

    t.describe("consumedAt", () => {
      test("answers null until the jti is consumed, then when, and keeps that time", async ({
        store,
        expect,
      }) => {
        await store.recordOutstanding(token("a", "1", "f"));
        await store.revoke("revoked", future());
        for (const jti of ["a", "unknown", "revoked"]) expect(await store.consumedAt(jti)).toBeNull();
        const before = Date.now();
        expect(await store.consume("a", future())).toBe(true);
        const after = Date.now();
        const at = await store.consumedAt("a");
        expect(at).toBeInstanceOf(Date);
        const when = (at as Date).getTime();
        expect(when).toBeGreaterThanOrEqual(before - CONSUMED_AT_TOLERANCE_MS);
        expect(when).toBeLessThanOrEqual(after + CONSUMED_AT_TOLERANCE_MS);
        // Neither a refused consume nor a revocation moves it.
        expect(await store.consume("a", future())).toBe(false);
        await store.revoke("a", future());
        await store.revokeFamily("f");
        expect((await store.consumedAt("a"))?.getTime()).toBe(when);
        // A jti consumed without being recorded has a time too; a revoked one never gets one.
        expect(await store.consume("b", future())).toBe(true);
        expect(await store.consumedAt("b")).toBeInstanceOf(Date);
        expect(await store.consume("revoked", future())).toBe(false);
        expect(await store.consumedAt("revoked")).toBeNull();
      });

      test("forgets the time with the row at the flush", async ({ store, expect }) => {
        await store.consume("old", past());
        await store.consume("new", future());
        await store.flushExpired();
        expect(await store.consumedAt("old")).toBeNull();
        expect(await store.consumedAt("new")).toBeInstanceOf(Date);
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

    t.describe("flushExpired", () => testRevocationExpiry(test, options.nativeExpiry === true));
    t.describe("concurrency", () => testRevocationConcurrency(test));
  });
}
