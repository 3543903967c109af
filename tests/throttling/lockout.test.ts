/**
 * The Lockout policy itself (issue 19), through BasicAuthentication and the guard: its options, the
 * window and the cool-off, the keys it stores, which lock answers, and a store that cannot answer.
 * tests/endpoints/lockout.test.ts runs the same policy at every login point.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { guard } from "../../src/core/guard.js";
import { obtainAuthToken } from "../../src/endpoints/index.js";
import {
  BasicAuthentication,
  hashPassword,
  MemoryTokenStore,
  MemoryUserStore,
  StoreUnavailable,
  TokenAuthentication,
} from "../../src/index.js";
import { basicAuthHeader, makeRequest } from "../../src/testing/index.js";
import { Lockout, type LockoutOptions, MemoryThrottleStore } from "../../src/throttling/index.js";
import { at, passwords } from "./fixture.js";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const RIGHT = "correct horse";
const HOME = "203.0.113.9";

async function basicWith(options: Partial<LockoutOptions> = {}) {
  const users = new MemoryUserStore();
  await users.create({ username: "ada", passwordHash: await hashPassword(RIGHT, passwords) });
  const store = new MemoryThrottleStore();
  const lockout = new Lockout({ store, failures: 3, ...options });
  const basic = new BasicAuthentication({ users, passwords, lockout });
  const tokens = new TokenAuthentication({ tokens: new MemoryTokenStore(), users });
  const login = async (password: string, ip: string | null = HOME, username = "ada") => {
    const request = {
      ...makeRequest({ headers: { Authorization: basicAuthHeader(username, password) } }),
      remoteAddress: ip,
    };
    const outcome = await guard(request, { schemes: [basic, tokens] });
    return outcome.ok
      ? { status: 200 }
      : { status: outcome.status, headers: outcome.headers, body: outcome.body };
  };
  return { users, store, lockout, login };
}

describe("Lockout options", () => {
  const store = new MemoryThrottleStore();

  it("needs a store", () => {
    expect(() => new Lockout({} as LockoutOptions)).toThrow(new TypeError("Lockout needs a `store`."));
    expect(() => new Lockout(undefined as unknown as LockoutOptions)).toThrow(TypeError);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "5" as unknown as number])(
    "refuses failures and ipFailures of %j with a TypeError",
    (bad) => {
      expect(() => new Lockout({ store, failures: bad })).toThrow(
        new TypeError("`failures` must be a whole number, 1 or more."),
      );
      expect(() => new Lockout({ store, ipFailures: bad })).toThrow(
        new TypeError("`ipFailures` must be a whole number, 1 or more."),
      );
    },
  );

  it.each([-1, 1.5, Number.NaN])("refuses numProxies %j with a TypeError", (bad) => {
    expect(() => new Lockout({ store, numProxies: bad })).toThrow(
      new TypeError("`numProxies` must be a whole number, 0 or more."),
    );
  });

  it.each([["window"], ["coolOff"]])("refuses a %s that is not a duration with a RangeError", (name) => {
    expect(() => new Lockout({ store, [name]: "fifteen minutes" })).toThrow(RangeError);
    expect(() => new Lockout({ store, [name]: -1 })).toThrow(RangeError);
  });

  it("takes seconds or duration strings, and counts of 1", () => {
    expect(() => new Lockout({ store, failures: 1, ipFailures: 1, window: 60, coolOff: "1h" })).not.toThrow();
  });

  it("defaults to 5 failures per pair and a 15 minute cool-off", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: await hashPassword(RIGHT, passwords) });
    const basic = new BasicAuthentication({
      users,
      passwords,
      lockout: new Lockout({ store: new MemoryThrottleStore() }),
    });
    const request = (password: string) => ({
      ...makeRequest({ headers: { Authorization: basicAuthHeader("ada", password) } }),
      remoteAddress: HOME,
    });
    at(0);
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const outcome = await guard(request(`guess ${i}`), { schemes: [basic] });
      statuses.push(outcome.ok ? 200 : outcome.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const locked = await guard(request(RIGHT), { schemes: [basic] });
    expect(locked.ok ? null : locked.headers["Retry-After"]).toBe("900");
  });
});

describe("Lockout through BasicAuthentication", () => {
  it("answers a locked Basic login 429 with Retry-After and no challenge, before later schemes", async () => {
    const { login } = await basicWith();
    at(0);
    for (let i = 0; i < 3; i++) {
      expect(await login("wrong")).toEqual({
        status: 401,
        headers: { "Content-Type": "application/json", "WWW-Authenticate": 'Basic realm="api"' },
        body: { detail: "Invalid username/password.", code: "authentication_failed" },
      });
    }
    expect(await login(RIGHT)).toEqual({
      status: 429,
      headers: { "Content-Type": "application/json", "Retry-After": "900" },
      body: { detail: "Request was throttled. Expected available in 900 seconds.", code: "throttled" },
    });
  });

  it("counts failures within the window only", async () => {
    const { login } = await basicWith({ window: "1m" });
    at(0);
    await login("wrong");
    await login("wrong");
    at(60);
    const statuses = [];
    for (const password of ["wrong", "wrong", RIGHT]) statuses.push((await login(password)).status);
    expect(statuses).toEqual([401, 401, 200]);
  });

  it("starts the count again after the cool-off", async () => {
    const { login } = await basicWith({ coolOff: "5m" });
    at(0);
    for (let i = 0; i < 3; i++) await login("wrong");
    expect((await login(RIGHT)).status).toBe(429);
    at(300);
    await login("wrong");
    await login("wrong");
    expect((await login(RIGHT)).status).toBe(200);
  });

  it("answers the longer of the pair's and the address's locks", async () => {
    const { login } = await basicWith({ failures: 2, ipFailures: 4, coolOff: "10m" });
    at(0);
    await login("wrong");
    await login("wrong"); // the pair's lock: until 600 s
    at(100);
    await login("wrong", HOME, "eve");
    await login("wrong", HOME, "mallory"); // the address's fourth failure: its lock until 700 s
    expect(await login(RIGHT)).toMatchObject({ status: 429, headers: { "Retry-After": "600" } });
    at(650);
    expect(await login(RIGHT)).toMatchObject({ status: 429, headers: { "Retry-After": "50" } });
    at(700);
    expect((await login(RIGHT)).status).toBe(200);
  });

  it("stores digests: neither the username nor the address is in a key", async () => {
    const { login, store } = await basicWith();
    const hit = vi.spyOn(store, "hit");
    const peek = vi.spyOn(store, "peek");
    at(0);
    for (let i = 0; i < 3; i++) await login("wrong");
    const keys = [...hit.mock.calls, ...peek.mock.calls].map(([key]) => key);
    expect(new Set(keys.map((key) => key.replace(/_[0-9a-f]{64}$/, "")))).toEqual(
      new Set(["lockout_user", "lockout_ip", "lockout_lock_user", "lockout_lock_ip"]),
    );
    for (const key of keys) {
      expect(key).not.toContain("ada");
      expect(key).not.toContain(HOME);
    }
  });

  it("a store that cannot answer is a 503, and the password is not checked", async () => {
    const { login, store, users } = await basicWith();
    vi.spyOn(store, "peek").mockRejectedValue(new StoreUnavailable("throttles"));
    const findByUsername = vi.spyOn(users, "findByUsername");
    expect(await login(RIGHT)).toMatchObject({
      status: 503,
      headers: { "Retry-After": "5" },
      body: { code: "service_unavailable" },
    });
    expect(findByUsername).not.toHaveBeenCalled();
  });

  it("without a client address no address-wide count is kept: a stranger cannot lock everyone out", async () => {
    const { login, store } = await basicWith({ ipFailures: 2 });
    const hit = vi.spyOn(store, "hit");
    at(0);
    await login("wrong", null, "u1");
    await login("wrong", null, "u2");
    expect(hit.mock.calls.map(([key]) => key).filter((key) => key.startsWith("lockout_ip_"))).toEqual([]);
    expect((await login(RIGHT, null)).status).toBe(200);
    expect((await login(RIGHT, HOME)).status).toBe(200);
  });
});

describe("Lockout at an endpoint with a store that cannot answer", () => {
  it("answers 503 with Retry-After, never a login", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: await hashPassword(RIGHT, passwords) });
    const store = new MemoryThrottleStore();
    vi.spyOn(store, "hit").mockRejectedValue(new StoreUnavailable("throttles"));
    const login = obtainAuthToken({
      users,
      tokens: new MemoryTokenStore(),
      passwords,
      lockout: new Lockout({ store }),
    });
    const response = await login(
      new Request("http://testserver/api-token-auth/", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "ada", password: RIGHT }),
      }),
      { remoteAddress: HOME },
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.json()).toEqual({
      detail: "Service temporarily unavailable, try again later.",
      code: "service_unavailable",
    });
  });
});
