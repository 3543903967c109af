import { describe, expect, it } from "vitest";
import { MemoryThrottleStore } from "../../src/stores/memory-throttle.js";
import type { ThrottleStore } from "../../src/stores/types.js";
import { type ConformanceTestAPI, testThrottleStore } from "../../src/testing/index.js";

const t = { describe, it, expect };

testThrottleStore(() => new MemoryThrottleStore(), t, { name: "MemoryThrottleStore conformance" });

/** A fake runner that collects the suite's tests, runs them, and answers which failed. */
async function failures(make: () => ThrottleStore): Promise<string[]> {
  const tests: { name: string; fn: () => Promise<void> | void }[] = [];
  const path: string[] = [];
  const runner: ConformanceTestAPI = {
    describe: (name, fn) => {
      path.push(name);
      fn();
      path.pop();
    },
    it: (name, fn) => void tests.push({ name: [...path.slice(1), name].join(" > "), fn }),
    expect,
  };
  testThrottleStore(make, runner);
  expect(tests.length).toBeGreaterThan(10);
  const failed: string[] = [];
  for (const test of tests) {
    try {
      await test.fn();
    } catch {
      failed.push(test.name);
    }
  }
  return failed;
}

/** A memory store with some methods replaced; `inner` is the real one. */
function broken(replace: (inner: MemoryThrottleStore) => Partial<ThrottleStore>): () => ThrottleStore {
  return () => {
    const inner = new MemoryThrottleStore();
    return {
      hit: (...args) => inner.hit(...args),
      peek: (...args) => inner.peek(...args),
      reset: (key) => inner.reset(key),
      ...replace(inner),
    };
  };
}

describe("the throttle suite catches broken stores", () => {
  it("passes the memory store under a fake runner", async () => {
    expect(await failures(() => new MemoryThrottleStore())).toEqual([]);
  });

  it("fails a store that records refused hits", async () => {
    const store = broken((inner) => ({
      hit: async (key, limit, windowMs, now) => {
        const state = await inner.hit(key, Number.MAX_SAFE_INTEGER, windowMs, now);
        return { ...state, allowed: state.count <= limit };
      },
    }));
    expect(await failures(store)).toContain("a refused hit records nothing");
  });

  it("fails a store whose peek records", async () => {
    const store = broken((inner) => ({ peek: (...args) => inner.hit(...args) }));
    expect(await failures(store)).toContain("peek reads the window without recording");
  });

  it("fails a store that counts and records in two steps", async () => {
    const store = broken((inner) => ({
      hit: async (key, limit, windowMs, now) => {
        const seen = await inner.peek(key, limit, windowMs, now);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return seen.allowed ? inner.hit(key, Number.MAX_SAFE_INTEGER, windowMs, now) : seen;
      },
    }));
    expect(await failures(store)).toEqual([
      "concurrency > 50 parallel hits against a limit of 7 record exactly 7",
      "concurrency > parallel hits on 10 keys: each key records its own limit",
      "concurrency > a reset among parallel hits leaves the key consistent",
    ]);
  });

  it("fails a store that keeps an entry at exactly now - windowMs", async () => {
    const store = broken((inner) => ({
      hit: (key, limit, windowMs, now) => inner.hit(key, limit, windowMs + 1, now),
      peek: (key, limit, windowMs, now) => inner.peek(key, limit, windowMs + 1, now),
    }));
    expect(await failures(store)).toEqual(
      expect.arrayContaining([
        "a refused hit records nothing",
        "the window slides: an entry at or before now - windowMs is forgotten",
      ]),
    );
  });

  it("fails a store that reads its own clock", async () => {
    const store = broken((inner) => ({
      hit: (key, limit, windowMs) => inner.hit(key, limit, windowMs, Date.now()),
      peek: (key, limit, windowMs) => inner.peek(key, limit, windowMs, Date.now()),
    }));
    expect(await failures(store)).toContain(
      "times are the caller's clock, not the store's: a year back or ahead works alike",
    );
  });

  it("fails stores that fold keys: by case, or by cutting them short", async () => {
    const lower = broken((inner) => ({
      hit: (key, ...rest) => inner.hit(key.toLowerCase(), ...rest),
      peek: (key, ...rest) => inner.peek(key.toLowerCase(), ...rest),
      reset: (key) => inner.reset(key.toLowerCase()),
    }));
    expect(await failures(lower)).toEqual([
      "keys are kept apart exactly: case, prefixes, whitespace, wildcards",
    ]);
    const cut = broken((inner) => ({
      hit: (key, ...rest) => inner.hit(key.slice(0, 250), ...rest),
      peek: (key, ...rest) => inner.peek(key.slice(0, 250), ...rest),
      reset: (key) => inner.reset(key.slice(0, 250)),
    }));
    expect(await failures(cut)).toEqual(["long keys and unicode keys"]);
  });

  it("fails a store whose reset does nothing", async () => {
    const store = broken(() => ({ reset: async () => {} }));
    expect(await failures(store)).toEqual(
      expect.arrayContaining([
        "reset forgets the key and nothing else",
        "a key with a limit of 1 is a lock marker: set once, held for the window, reset",
      ]),
    );
  });
});

describe("MemoryThrottleStore", () => {
  it("keeps entries in time order when the clock steps back, so the oldest leave first", async () => {
    const store = new MemoryThrottleStore();
    await store.hit("k", 10, 1_000, 5_000);
    await store.hit("k", 10, 1_000, 4_500);
    await store.hit("k", 10, 1_000, 5_200);
    expect(await store.peek("k", 10, 1_000, 5_000)).toEqual({ allowed: true, count: 3, oldest: 4_500 });
    expect(await store.peek("k", 10, 1_000, 5_500)).toEqual({ allowed: true, count: 2, oldest: 5_000 });
    expect(await store.peek("k", 10, 1_000, 6_000)).toEqual({ allowed: true, count: 1, oldest: 5_200 });
  });
});
