import { describe, expect, it } from "vitest";
import {
  MemoryRevocationStore,
  MemorySessionStore,
  MemoryTokenStore,
  MemoryUserStore,
  type RevocationStore,
  type SessionRecord,
  type SessionStore,
  type TokenStore,
} from "../../src/index.js";
import {
  type ConformanceTestAPI,
  testRevocationStore,
  testSessionStore,
  testTokenStore,
  testUserStore,
} from "../../src/testing/index.js";

const t = { describe, it, expect };

testUserStore(() => new MemoryUserStore(), t, { name: "MemoryUserStore conformance" });
testTokenStore(() => new MemoryTokenStore(), t, { name: "MemoryTokenStore conformance" });
testSessionStore(() => new MemorySessionStore(), t, { name: "MemorySessionStore conformance" });
testRevocationStore(() => new MemoryRevocationStore(), t, { name: "MemoryRevocationStore conformance" });

describe("a { store, cleanup } fixture", () => {
  let made = 0;
  let cleaned = 0;
  testTokenStore(
    async () => {
      made++;
      return {
        store: new MemoryTokenStore(),
        cleanup: async () => {
          cleaned++;
        },
      };
    },
    t,
    { name: "MemoryTokenStore from a fixture", datePrecision: "s", timeout: 5_000 },
  );
  it("was made and cleaned up once per test", () => {
    expect(made).toBeGreaterThan(10);
    expect(cleaned).toBe(made);
  });
});

/** A fake runner that collects the tests, then runs them and reports which failed and why. */
async function runSuite(register: (t: ConformanceTestAPI) => void): Promise<Map<string, string>> {
  const tests: { name: string; fn: () => Promise<void> | void }[] = [];
  const path: string[] = [];
  register({
    describe: (name, fn) => {
      path.push(name);
      fn();
      path.pop();
    },
    it: (name, fn) => {
      tests.push({ name: [...path, name].join(" > "), fn });
    },
    expect,
  });
  const failures = new Map<string, string>();
  for (const test of tests) {
    try {
      await test.fn();
    } catch (error) {
      failures.set(test.name, error instanceof Error ? error.message : String(error));
    }
  }
  expect(tests.length).toBeGreaterThan(5);
  return failures;
}

/** Every method of `inner`, bound, with some replaced. */
function wrap<S extends object>(inner: S, overrides: Partial<S>): S {
  const wrapper = {} as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(inner))) {
    const value = (inner as Record<string, unknown>)[key];
    if (key !== "constructor" && typeof value === "function") wrapper[key] = value.bind(inner);
  }
  return Object.assign(wrapper, overrides) as S;
}

describe("the suites catch broken stores", () => {
  it("pass the memory stores under a fake runner", async () => {
    expect(await runSuite((t) => testRevocationStore(() => new MemoryRevocationStore(), t))).toEqual(
      new Map(),
    );
    expect(await runSuite((t) => testSessionStore(() => new MemorySessionStore(), t))).toEqual(new Map());
  });

  it("fail a revocation store whose consume always answers true", async () => {
    const failures = await runSuite((t) =>
      testRevocationStore(() => {
        const inner = new MemoryRevocationStore();
        return wrap<RevocationStore>(inner, { consume: async () => true });
      }, t),
    );
    expect([...failures.keys()]).toEqual(
      expect.arrayContaining([
        "RevocationStore conformance > consume > answers true once, then false; consuming does not revoke",
        "RevocationStore conformance > consume > answers false for a jti revoked directly, by family or by user",
        "RevocationStore conformance > concurrency > 50 parallel consume of one jti: exactly one true",
      ]),
    );
  });

  it("fail a revocation store whose consume is not atomic", async () => {
    const failures = await runSuite((t) =>
      testRevocationStore(() => {
        const inner = new MemoryRevocationStore();
        // Callers that overlap all read "not consumed yet" before any of them writes.
        const inFlight = new Map<string, Promise<boolean>>();
        return wrap<RevocationStore>(inner, {
          consume: (jti, expiresAt) => {
            const pending = inFlight.get(jti);
            if (pending !== undefined) return pending;
            const result = new Promise((resolve) => setTimeout(resolve, 1))
              .then(() => inner.consume(jti, expiresAt))
              .finally(() => inFlight.delete(jti));
            inFlight.set(jti, result);
            return result;
          },
        });
      }, t),
    );
    expect([...failures.keys()]).toEqual([
      "RevocationStore conformance > concurrency > 50 parallel consume of one jti: exactly one true",
    ]);
  });

  it("fail a revocation store whose consumedAt does not keep the time of the consume", async () => {
    const forgetful = await runSuite((t) =>
      testRevocationStore(
        () => wrap<RevocationStore>(new MemoryRevocationStore(), { consumedAt: async () => null }),
        t,
      ),
    );
    expect([...forgetful.keys()]).toEqual([
      "RevocationStore conformance > consumedAt > answers null until the jti is consumed, then when, and keeps that time",
      "RevocationStore conformance > consumedAt > forgets the time with the row at the flush",
    ]);
    // One whose answer moves from call to call.
    const moving = await runSuite((t) =>
      testRevocationStore(() => {
        const inner = new MemoryRevocationStore();
        let calls = 0;
        return wrap<RevocationStore>(inner, {
          consumedAt: async (jti) => {
            const at = await inner.consumedAt(jti);
            return at === null ? null : new Date(at.getTime() + calls++);
          },
        });
      }, t),
    );
    expect([...moving.keys()]).toEqual([
      "RevocationStore conformance > consumedAt > answers null until the jti is consumed, then when, and keeps that time",
    ]);
  });

  it("fail a revocation store whose flushExpired does nothing", async () => {
    const failures = await runSuite((t) =>
      testRevocationStore(
        () => wrap<RevocationStore>(new MemoryRevocationStore(), { flushExpired: async () => 0 }),
        t,
      ),
    );
    expect([...failures.keys()]).toEqual(
      expect.arrayContaining([
        "RevocationStore conformance > flushExpired > removes expired rows, keeps live ones, and counts what it removed",
        "RevocationStore conformance > flushExpired > removes a revoked family once all its tokens expired, not before",
      ]),
    );
  });

  it("fail a token store that matches digests case-insensitively", async () => {
    const failures = await runSuite((t) =>
      testTokenStore(() => {
        const inner = new MemoryTokenStore();
        return wrap<TokenStore>(inner, {
          findByDigest: (digest) => inner.findByDigest(digest.toLowerCase()),
        });
      }, t),
    );
    expect([...failures.keys()]).toEqual([
      "TokenStore conformance > findByDigest answers null for an unknown or inexact digest",
    ]);
  });

  it("fail a token store that drops milliseconds", async () => {
    const failures = await runSuite((t) =>
      testTokenStore(() => {
        const inner = new MemoryTokenStore();
        const seconds = (date: Date): Date => new Date(Math.floor(date.getTime() / 1000) * 1000);
        return wrap<TokenStore>(inner, {
          save: (record) => inner.save({ ...record, createdAt: seconds(record.createdAt) }),
        });
      }, t),
    );
    expect([...failures.keys()]).toContain(
      "TokenStore conformance > save then findByDigest round-trips every field, Dates as Dates",
    );
  });

  it("fail a session store that keeps and hands out the caller's data object", async () => {
    const failures = await runSuite((t) =>
      testSessionStore(() => {
        // Keeps the caller's data object instead of a copy, and hands it out again.
        const data = new Map<string, SessionRecord["data"]>();
        const inner = new MemorySessionStore();
        return wrap<SessionStore>(inner, {
          create: async (record) => {
            await inner.create(record);
            data.set(record.idDigest, record.data);
          },
          get: async (idDigest) => {
            const record = await inner.get(idDigest);
            return record === null ? null : { ...record, data: data.get(idDigest)! };
          },
        });
      }, t),
    );
    expect([...failures.keys()]).toEqual([
      "SessionStore conformance > copies sessions in and out, data included",
    ]);
  });

  it("fail a user store whose lookups ignore case", async () => {
    const failures = await runSuite((t) =>
      testUserStore(() => {
        const inner = new MemoryUserStore();
        const names = new Map<string, string>();
        return wrap(inner, {
          create: async (input) => {
            const record = await inner.create(input);
            names.set(input.username.toLowerCase(), input.username);
            return record;
          },
          findByUsername: (username) => inner.findByUsername(names.get(username.toLowerCase()) ?? username),
        });
      }, t),
    );
    expect([...failures.keys()]).toEqual([
      "UserStore conformance > findByUsername compares exactly: case, whitespace, prefixes, wildcards, normalisation",
    ]);
  });
});
