/**
 * The RevocationStore suite's concurrency cases: one winner among parallel `consume` (two concurrent
 * refreshes must not both win) or `revoke` of one jti, each token counted once by parallel family and
 * user revocations, parallel records all landing. Registered by `testRevocationStore`.
 */
import type { RevocationStore } from "../../stores/types.js";
import type { Define } from "./harness.js";
import { future, token } from "./revocation-fixtures.js";

/** Registers the concurrency cases with the suite's `test`. @internal */
export function testRevocationConcurrency(test: Define<RevocationStore>): void {
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
    await Promise.all(Array.from({ length: 20 }, () => store.recordOutstanding(token("same", "2", null))));
    expect(await store.revokeForUser("2")).toBe(1);
    expect(await store.revokeFamily("f")).toBe(50);
  });
}
