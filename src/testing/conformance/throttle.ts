/**
 * The ThrottleStore conformance suite.
 */
import type { ThrottleState, ThrottleStore } from "../../stores/types.js";
import {
  type ConformanceOptions,
  type ConformanceTestAPI,
  DAY,
  defineTests,
  MINUTE,
  SECOND,
  type StoreFactory,
} from "./harness.js";

const WINDOW = MINUTE;

/**
 * Registers the {@link ThrottleStore} contract as tests with the caller's runner: `limit` hits allowed
 * and the next refused, a refused hit recording nothing, the window sliding (an entry at exactly
 * `now - windowMs` is out), `peek` recording nothing, `reset`, the `count` and `oldest` answered,
 * equal and out-of-order times, the caller's clock rather than the store's, keys kept apart (exact,
 * long, unicode), a limit-1 key as a lock marker, and concurrency: 50 parallel hits against a limit
 * of 7 record exactly 7.
 *
 * @param factory - makes a fresh, empty store per test (or a `{ store, cleanup }` fixture)
 * @param t - the runner's `{ describe, it, expect }`
 * @param options - title, timeout
 * @example
 * ```ts
 * import { describe, expect, it } from "vitest";
 * import { RedisThrottleStore } from "portcullis/redis";
 * import { testThrottleStore } from "portcullis/testing";
 *
 * testThrottleStore(() => new RedisThrottleStore({ client, prefix: `test:${crypto.randomUUID()}:` }), {
 *   describe,
 *   it,
 *   expect,
 * });
 * ```
 * @see https://www.django-rest-framework.org/api-guide/throttling/
 */
export function testThrottleStore(
  factory: StoreFactory<ThrottleStore>,
  t: ConformanceTestAPI,
  options: ConformanceOptions = {},
): void {
  const test = defineTests(factory, t, options, "peek");
  const state = (allowed: boolean, count: number, oldest: number | null): ThrottleState => ({
    allowed,
    count,
    oldest,
  });

  t.describe(options.name ?? "ThrottleStore conformance", () => {
    test("allows `limit` hits, then refuses, answering count and oldest", async ({ store, expect, at }) => {
      const t0 = at(0).getTime();
      expect(await store.hit("k", 3, WINDOW, t0)).toEqual(state(true, 1, t0));
      expect(await store.hit("k", 3, WINDOW, t0 + SECOND)).toEqual(state(true, 2, t0));
      expect(await store.hit("k", 3, WINDOW, t0 + 2 * SECOND)).toEqual(state(true, 3, t0));
      expect(await store.hit("k", 3, WINDOW, t0 + 3 * SECOND)).toEqual(state(false, 3, t0));
      // A higher limit for the same key lets one more in; a limit of 0 lets none.
      expect(await store.hit("k", 4, WINDOW, t0 + 4 * SECOND)).toEqual(state(true, 4, t0));
      expect(await store.hit("other", 0, WINDOW, t0)).toEqual(state(false, 0, null));
      expect(await store.peek("other", 1, WINDOW, t0)).toEqual(state(true, 0, null));
    });

    test("a refused hit records nothing", async ({ store, expect, at }) => {
      const t0 = at(0).getTime();
      await store.hit("k", 2, WINDOW, t0);
      await store.hit("k", 2, WINDOW, t0 + SECOND);
      for (let i = 2; i < 12; i++) {
        expect(await store.hit("k", 2, WINDOW, t0 + i * SECOND)).toEqual(state(false, 2, t0));
      }
      // Once the first entry leaves the window one hit fits: the refused ones were never counted.
      expect(await store.hit("k", 2, WINDOW, t0 + WINDOW)).toEqual(state(true, 2, t0 + SECOND));
      expect(await store.hit("k", 2, WINDOW, t0 + WINDOW + 1)).toEqual(state(false, 2, t0 + SECOND));
    });

    test("the window slides: an entry at or before now - windowMs is forgotten", async ({
      store,
      expect,
      at,
    }) => {
      const t0 = at(0).getTime();
      await store.hit("k", 2, WINDOW, t0);
      await store.hit("k", 2, WINDOW, t0 + 10 * SECOND);
      expect(await store.peek("k", 2, WINDOW, t0 + WINDOW - 1)).toEqual(state(false, 2, t0));
      expect(await store.peek("k", 2, WINDOW, t0 + WINDOW)).toEqual(state(true, 1, t0 + 10 * SECOND));
      expect(await store.hit("k", 2, WINDOW, t0 + WINDOW)).toEqual(state(true, 2, t0 + 10 * SECOND));
      expect(await store.peek("k", 2, WINDOW, t0 + 10 * SECOND + WINDOW)).toEqual(
        state(true, 1, t0 + WINDOW),
      );
      // A day later everything is gone.
      expect(await store.hit("k", 2, WINDOW, t0 + DAY)).toEqual(state(true, 1, t0 + DAY));
    });

    test("peek reads the window without recording", async ({ store, expect, at }) => {
      const t0 = at(0).getTime();
      expect(await store.peek("k", 2, WINDOW, t0)).toEqual(state(true, 0, null));
      for (let i = 0; i < 5; i++) await store.peek("k", 2, WINDOW, t0 + i);
      expect(await store.hit("k", 2, WINDOW, t0 + 5)).toEqual(state(true, 1, t0 + 5));
      expect(await store.peek("k", 2, WINDOW, t0 + 6)).toEqual(state(true, 1, t0 + 5));
      expect(await store.hit("k", 2, WINDOW, t0 + 7)).toEqual(state(true, 2, t0 + 5));
      expect(await store.peek("k", 2, WINDOW, t0 + 8)).toEqual(state(false, 2, t0 + 5));
      expect(await store.peek("k", 3, WINDOW, t0 + 8)).toEqual(state(true, 2, t0 + 5));
      expect(await store.hit("k", 3, WINDOW, t0 + 9)).toEqual(state(true, 3, t0 + 5));
    });

    test("reset forgets the key and nothing else", async ({ store, expect, at }) => {
      const t0 = at(0).getTime();
      for (let i = 0; i < 3; i++) {
        await store.hit("a", 3, WINDOW, t0 + i);
        await store.hit("b", 3, WINDOW, t0 + i);
      }
      expect(await store.hit("a", 3, WINDOW, t0 + 3)).toEqual(state(false, 3, t0));
      await store.reset("a");
      expect(await store.peek("a", 3, WINDOW, t0 + 4)).toEqual(state(true, 0, null));
      expect(await store.hit("a", 3, WINDOW, t0 + 4)).toEqual(state(true, 1, t0 + 4));
      expect(await store.peek("b", 3, WINDOW, t0 + 4)).toEqual(state(false, 3, t0));
      await store.reset("never-seen");
      await store.reset("a");
      await store.reset("a");
      expect(await store.peek("a", 3, WINDOW, t0 + 5)).toEqual(state(true, 0, null));
    });

    test("hits at the same instant are separate entries", async ({ store, expect, at }) => {
      const t0 = at(0).getTime();
      for (let i = 1; i <= 5; i++) expect(await store.hit("k", 5, WINDOW, t0)).toEqual(state(true, i, t0));
      expect(await store.hit("k", 5, WINDOW, t0)).toEqual(state(false, 5, t0));
      expect(await store.peek("k", 9, WINDOW, t0 + WINDOW - 1)).toEqual(state(true, 5, t0));
      expect(await store.peek("k", 9, WINDOW, t0 + WINDOW)).toEqual(state(true, 0, null));
    });

    test("entries recorded out of order (another instance's clock) each leave on their own", async ({
      store,
      expect,
      at,
    }) => {
      const t0 = at(0).getTime();
      expect(await store.hit("k", 5, WINDOW, t0 + 2 * SECOND)).toEqual(state(true, 1, t0 + 2 * SECOND));
      expect(await store.hit("k", 5, WINDOW, t0)).toEqual(state(true, 2, t0));
      expect(await store.hit("k", 5, WINDOW, t0 + SECOND)).toEqual(state(true, 3, t0));
      expect(await store.peek("k", 5, WINDOW, t0 + WINDOW)).toEqual(state(true, 2, t0 + SECOND));
      expect(await store.hit("k", 5, WINDOW, t0 + WINDOW + SECOND)).toEqual(state(true, 2, t0 + 2 * SECOND));
    });

    test("times are the caller's clock, not the store's: a year back or ahead works alike", async ({
      store,
      expect,
      at,
    }) => {
      for (const t0 of [at(-365 * DAY).getTime(), at(365 * DAY).getTime(), 1_000_000]) {
        const key = `k${t0}`;
        expect(await store.hit(key, 2, WINDOW, t0)).toEqual(state(true, 1, t0));
        expect(await store.hit(key, 2, WINDOW, t0 + SECOND)).toEqual(state(true, 2, t0));
        expect(await store.hit(key, 2, WINDOW, t0 + 2 * SECOND)).toEqual(state(false, 2, t0));
        expect(await store.peek(key, 2, WINDOW, t0 + WINDOW)).toEqual(state(true, 1, t0 + SECOND));
      }
    });

    test("keys are kept apart exactly: case, prefixes, whitespace, wildcards", async ({
      store,
      expect,
      at,
    }) => {
      const t0 = at(0).getTime();
      const keys = [
        "throttle_user_1",
        "throttle_user_10",
        "throttle_user_",
        "THROTTLE_USER_1",
        "throttle_user_1 ",
        " throttle_user_1",
        "throttle_user_%",
        "throttle_user_*",
        "throttle_user_?",
        "throttle_user_[1]",
        "throttle:user:1",
        "throttle_user_1\n",
      ];
      for (const [i, key] of keys.entries()) {
        for (let n = 0; n <= i; n++) await store.hit(key, 100, WINDOW, t0 + n);
      }
      for (const [i, key] of keys.entries()) {
        expect(await store.peek(key, 100, WINDOW, t0 + SECOND)).toEqual(state(true, i + 1, t0));
      }
      await store.reset("throttle_user_*");
      await store.reset("throttle_user_%");
      expect(await store.peek("throttle_user_1", 100, WINDOW, t0 + SECOND)).toEqual(state(true, 1, t0));
      expect(await store.peek("throttle_user_10", 100, WINDOW, t0 + SECOND)).toEqual(state(true, 2, t0));
    });

    test("long keys and unicode keys", async ({ store, expect, at }) => {
      const t0 = at(0).getTime();
      // A lockout key holds what the client typed as a username: it can be long, and anything.
      const long = `lockout_${"x".repeat(10_000)}`;
      const keys = [
        long,
        `${long}y`,
        "lockout_Zoë_203.0.113.9",
        "lockout_Zoe\u0308_203.0.113.9", // the same name, decomposed: another key
        "lockout_用户_2001:db8::1",
        "lockout_😀_\u202bעברית\u202c",
        "lockout_\u0000_nul",
      ];
      for (const [i, key] of keys.entries()) {
        for (let n = 0; n <= i; n++) await store.hit(key, 10, WINDOW, t0 + n);
      }
      for (const [i, key] of keys.entries()) {
        expect(await store.peek(key, 10, WINDOW, t0 + SECOND)).toEqual(state(true, i + 1, t0));
      }
      await store.reset(long);
      expect(await store.peek(long, 10, WINDOW, t0 + SECOND)).toEqual(state(true, 0, null));
      expect(await store.peek(`${long}y`, 10, WINDOW, t0 + SECOND)).toEqual(state(true, 2, t0));
    });

    test("a key with a limit of 1 is a lock marker: set once, held for the window, reset", async ({
      store,
      expect,
      at,
    }) => {
      const t0 = at(0).getTime();
      const lock = "lockout_locked_ada_203.0.113.9";
      expect(await store.peek(lock, 1, 15 * MINUTE, t0)).toEqual(state(true, 0, null));
      expect(await store.hit(lock, 1, 15 * MINUTE, t0)).toEqual(state(true, 1, t0));
      // Locked: the marker's time tells when it opens (oldest + window).
      expect(await store.peek(lock, 1, 15 * MINUTE, t0 + MINUTE)).toEqual(state(false, 1, t0));
      expect(await store.hit(lock, 1, 15 * MINUTE, t0 + MINUTE)).toEqual(state(false, 1, t0));
      expect(await store.peek(lock, 1, 15 * MINUTE, t0 + 15 * MINUTE)).toEqual(state(true, 0, null));
      await store.hit(lock, 1, 15 * MINUTE, t0 + 16 * MINUTE);
      await store.reset(lock);
      expect(await store.peek(lock, 1, 15 * MINUTE, t0 + 16 * MINUTE)).toEqual(state(true, 0, null));
    });

    t.describe("concurrency", () => {
      test("50 parallel hits against a limit of 7 record exactly 7", async ({ store, expect, at }) => {
        const t0 = at(0).getTime();
        const states = await Promise.all(Array.from({ length: 50 }, () => store.hit("k", 7, WINDOW, t0)));
        const allowed = states.filter((answer) => answer.allowed);
        expect(allowed).toHaveLength(7);
        // Each recorded hit saw the entries before it and itself: 1 to 7, once each.
        expect(allowed.map((answer) => answer.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        for (const refused of states.filter((answer) => !answer.allowed)) {
          expect(refused.count).toBe(7);
          expect(refused.oldest).toBe(t0);
        }
        expect(await store.peek("k", 7, WINDOW, t0 + 1)).toEqual(state(false, 7, t0));
      });

      test("parallel hits on 10 keys: each key records its own limit", async ({ store, expect, at }) => {
        const t0 = at(0).getTime();
        const keys = Array.from({ length: 10 }, (_, i) => `key-${i}`);
        const states = await Promise.all(
          Array.from({ length: 100 }, (_, i) => store.hit(keys[i % 10]!, 3, WINDOW, t0)),
        );
        expect(states.filter((answer) => answer.allowed)).toHaveLength(30);
        for (const key of keys) expect(await store.peek(key, 3, WINDOW, t0)).toEqual(state(false, 3, t0));
      });

      test("a reset among parallel hits leaves the key consistent", async ({ store, expect, at }) => {
        const t0 = at(0).getTime();
        await Promise.all([
          ...Array.from({ length: 20 }, () => store.hit("k", 5, WINDOW, t0)),
          store.reset("k"),
          ...Array.from({ length: 20 }, () => store.hit("k", 5, WINDOW, t0)),
        ]);
        // The reset may land anywhere among the hits: at most the limit is left, and hit agrees with peek.
        const { count } = await store.peek("k", 5, WINDOW, t0);
        expect(count).toBeLessThanOrEqual(5);
        const next = await store.hit("k", 5, WINDOW, t0);
        expect(next).toEqual(count < 5 ? state(true, count + 1, t0) : state(false, 5, t0));
      });
    });
  });
}
