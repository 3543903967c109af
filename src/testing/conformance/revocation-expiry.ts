/**
 * The RevocationStore suite's `flushExpired` cases: expired rows go (outstanding, revoked, consumed,
 * family tombstones), live ones stay, and the count matches. Registered by `testRevocationStore`.
 */
import type { RevocationStore } from "../../stores/types.js";
import type { Define } from "./harness.js";
import { future, past, token } from "./revocation-fixtures.js";

/**
 * Registers the `flushExpired` cases with the suite's `test`. With `native` (the backend expires rows
 * itself, `RevocationConformanceOptions.nativeExpiry`) expired rows may be gone before the flush
 * and its count is only checked to be a non-negative integer.
 *
 * @internal
 */
export function testRevocationExpiry(test: Define<RevocationStore>, native: boolean): void {
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
}
