/**
 * DRF's tests/test_throttling.py, translated (issue 19): ThrottlingTests, ScopedRateThrottleTests,
 * SimpleRateThrottleTests and AnonRateThrottleTests through `guard`, with DRF's `timer()` as a frozen
 * `Date.now()`; then parseRate, the store keys, the 429 answer, failOpen and the `throttled` event.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { guard } from "../../src/core/guard.js";
import type { Throttle, ThrottleContext } from "../../src/core/throttle.js";
import { AuthEvents, StoreUnavailable } from "../../src/index.js";
import {
  AnonRateThrottle,
  MemoryThrottleStore,
  parseRate,
  ScopedRateThrottle,
  SimpleRateThrottle,
  type ThrottleState,
  UserRateThrottle,
} from "../../src/throttling/index.js";
import { waitFor } from "../../src/throttling/rate.js";
import { answer, at, from, people, statusOf } from "./fixture.js";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const CLIENT = "127.0.0.1";

/** DRF's `UserRateThrottle` subclasses with a scope of their own (User3SecRateThrottle, …). */
class ScopedUserThrottle extends SimpleRateThrottle {
  getCacheKey(ctx: ThrottleContext): string | null {
    return this.cacheKey(ctx.userId ?? ctx.clientIp);
  }
}

/** DRF's NonTimeThrottle: allows the first request, refuses the rest without a wait. */
function nonTimeThrottle(): Throttle & { called: boolean } {
  return {
    called: false,
    async allowRequest() {
      if (!this.called) {
        this.called = true;
        return { allowed: true };
      }
      return { allowed: false, wait: null };
    },
  };
}

/** The views of DRF's test module, over one fresh store. */
async function views() {
  const store = new MemoryThrottleStore();
  const world = await people();
  const user3Sec = () => new ScopedUserThrottle("seconds", "3/sec", { store });
  const user6Min = () => new ScopedUserThrottle("minutes", "6/min", { store });
  const user3Min = () => new ScopedUserThrottle("minutes", "3/min", { store });
  const view = (...throttles: Throttle[]) => ({ schemes: world.schemes, required: false, throttles });
  return {
    ...world,
    store,
    mockView: view(user3Sec()),
    doubleThrottling: view(user3Sec(), user6Min()),
    minuteThrottling: view(user3Min()),
    user3Sec,
    user6Min,
    view,
  };
}

/** DRF's `ensure_response_header_contains_proper_throttle_field`. */
async function retryAfterAt(
  options: Awaited<ReturnType<typeof views>>["mockView"],
  expected: Array<[number, string | null]>,
) {
  for (const [second, retryAfter] of expected) {
    at(second);
    const result = await answer(from(CLIENT), options);
    expect([second, result.headers?.["Retry-After"] ?? null]).toEqual([second, retryAfter]);
  }
}

describe("ThrottlingTests", () => {
  it("test_requests_are_throttled: the fourth request in a second of 3/sec is 429", async () => {
    const { mockView } = await views();
    at(0);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await statusOf(from(CLIENT), mockView));
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("test_request_throttling_expires: one second later the client may go on", async () => {
    const { mockView } = await views();
    at(0);
    for (let i = 0; i < 3; i++) await statusOf(from(CLIENT), mockView);
    expect(await statusOf(from(CLIENT), mockView)).toBe(429);
    at(0.999);
    expect(await statusOf(from(CLIENT), mockView)).toBe(429);
    at(1);
    expect(await statusOf(from(CLIENT), mockView)).toBe(200);
  });

  it("test_request_throttling_is_per_user: user b is not throttled by user a's requests", async () => {
    const { mockView, keys } = await views();
    at(0);
    for (let i = 0; i < 3; i++) await statusOf(from(CLIENT, { key: keys.ada }), mockView);
    expect(await statusOf(from(CLIENT, { key: keys.ada }), mockView)).toBe(429);
    expect(await statusOf(from(CLIENT, { key: keys.bob }), mockView)).toBe(200);
  });

  it("test_request_throttling_multiple_throttles: every throttle sees every request", async () => {
    const { doubleThrottling } = await views();
    at(0);
    let result = await answer(from(CLIENT), doubleThrottling);
    for (let i = 0; i < 3; i++) result = await answer(from(CLIENT), doubleThrottling);
    expect(result).toMatchObject({ status: 429, headers: { "Retry-After": "1" } });

    // Four requests in the first second, one refused by 3/sec but counted by 6/min: two more fit.
    at(1);
    expect(await statusOf(from(CLIENT), doubleThrottling)).toBe(200);
    expect(await statusOf(from(CLIENT), doubleThrottling)).toBe(200);
    expect(await answer(from(CLIENT), doubleThrottling)).toMatchObject({
      status: 429,
      headers: { "Retry-After": "59" },
    });

    at(2);
    expect(await answer(from(CLIENT), doubleThrottling)).toMatchObject({
      status: 429,
      headers: { "Retry-After": "58" },
    });
  });

  it("test_throttle_rate_change_negative: a throttle now over its rate has no wait, the longest other wins", async () => {
    const { doubleThrottling, store, view, user6Min } = await views();
    at(0);
    let result = await answer(from(CLIENT), doubleThrottling);
    for (let i = 0; i < 23; i++) result = await answer(from(CLIENT), doubleThrottling);
    expect(result).toMatchObject({ status: 429, headers: { "Retry-After": "60" } });

    // DRF sets User3SecRateThrottle.rate = '1/sec': three entries against a limit of one, wait None.
    const changed = view(new ScopedUserThrottle("seconds", "1/sec", { store }), user6Min());
    for (let i = 0; i < 24; i++) result = await answer(from(CLIENT), changed);
    expect(result).toMatchObject({ status: 429, headers: { "Retry-After": "60" } });
  });

  it("test_seconds_fields: Retry-After 1 on the fourth request of 3/sec", async () => {
    const { mockView } = await views();
    await retryAfterAt(mockView, [
      [0, null],
      [0, null],
      [0, null],
      [0, "1"],
    ]);
  });

  it("test_minutes_fields: Retry-After 60 on the fourth request of 3/min", async () => {
    const { minuteThrottling } = await views();
    await retryAfterAt(minuteThrottling, [
      [0, null],
      [0, null],
      [0, null],
      [0, "60"],
    ]);
  });

  it("test_next_rate_remains_constant_if_followed: one request every 20 s at 3/min is never throttled", async () => {
    const { minuteThrottling } = await views();
    await retryAfterAt(minuteThrottling, [
      [0, null],
      [20, null],
      [40, null],
      [60, null],
      [80, null],
    ]);
  });

  it("test_non_time_throttle: a refusal without a wait has no Retry-After and no expected time", async () => {
    const { view } = await views();
    const throttle = nonTimeThrottle();
    const options = view(throttle);
    expect(throttle.called).toBe(false);
    expect(await answer(from(CLIENT), options)).toEqual({ status: 200 });
    expect(throttle.called).toBe(true);
    expect(await answer(from(CLIENT), options)).toEqual({
      status: 429,
      headers: { "Content-Type": "application/json" },
      body: { detail: "Request was throttled.", code: "throttled" },
    });
  });
});

describe("the wait and the 429 answer (DRF's wait() and Throttled)", () => {
  it("answers DRF's body and Retry-After: 'Expected available in 60 seconds.'", async () => {
    const { minuteThrottling } = await views();
    at(0);
    for (let i = 0; i < 3; i++) await statusOf(from(CLIENT), minuteThrottling);
    expect(await answer(from(CLIENT), minuteThrottling)).toEqual({
      status: 429,
      headers: { "Content-Type": "application/json", "Retry-After": "60" },
      body: { detail: "Request was throttled. Expected available in 60 seconds.", code: "throttled" },
    });
  });

  it("says '1 second.' in the singular, rounding a fraction up (math.ceil)", async () => {
    const { mockView } = await views();
    at(0);
    for (let i = 0; i < 3; i++) await statusOf(from(CLIENT), mockView);
    at(0.5);
    expect(await answer(from(CLIENT), mockView)).toEqual({
      status: 429,
      headers: { "Content-Type": "application/json", "Retry-After": "1" },
      body: { detail: "Request was throttled. Expected available in 1 second.", code: "throttled" },
    });
  });

  it("counts the wait from the oldest request in the window: remaining duration / available requests", async () => {
    const { minuteThrottling } = await views();
    for (const second of [0, 10, 25]) {
      at(second);
      await statusOf(from(CLIENT), minuteThrottling);
    }
    at(45);
    // 60 - (45 - 0) = 15 seconds left, one request available when the oldest leaves.
    expect(await answer(from(CLIENT), minuteThrottling)).toMatchObject({
      headers: { "Retry-After": "15" },
      body: { detail: "Request was throttled. Expected available in 15 seconds." },
    });
  });

  it("sends no Retry-After for a wait of 0 (DRF: `if getattr(exc, 'wait', None)`), yet says 0 seconds", async () => {
    const { view } = await views();
    const zero: Throttle = { allowRequest: async () => ({ allowed: false, wait: 0 }) };
    expect(await answer(from(CLIENT), view(zero))).toEqual({
      status: 429,
      headers: { "Content-Type": "application/json" },
      body: { detail: "Request was throttled. Expected available in 0 seconds.", code: "throttled" },
    });
  });

  it("with several refusing throttles: the longest wait, the unknown ones dropped", async () => {
    const { view } = await views();
    const waiting = (wait: number | null): Throttle => ({
      allowRequest: async () => ({ allowed: false, wait }),
    });
    expect(
      await answer(from(CLIENT), view(waiting(null), waiting(12.2), waiting(null), waiting(3))),
    ).toMatchObject({ status: 429, headers: { "Retry-After": "13" } });
    expect(await answer(from(CLIENT), view(waiting(null), waiting(null)))).toMatchObject({
      status: 429,
      body: { detail: "Request was throttled." },
    });
  });

  it("asks every throttle even after one refused (DRF's check_throttles)", async () => {
    const { view } = await views();
    const calls: string[] = [];
    const named = (name: string, allowed: boolean): Throttle => ({
      allowRequest: async () => {
        calls.push(name);
        return allowed ? { allowed } : { allowed, wait: 1 };
      },
    });
    expect(await statusOf(from(CLIENT), view(named("a", false), named("b", true), named("c", false)))).toBe(
      429,
    );
    expect(calls).toEqual(["a", "b", "c"]);
  });

  it("test_wait_returns_correct_waiting_time_without_history: 1/min with no history waits 30.0", () => {
    expect(waitFor({ allowed: false, count: 0, oldest: null }, 1, 60, 0)).toBe(30);
  });

  it("test_wait_returns_none_if_there_are_no_available_requests", () => {
    expect(waitFor({ allowed: false, count: 3, oldest: 0 }, 1, 60, 0)).toBeNull();
  });
});

describe("ScopedRateThrottleTests", () => {
  async function scoped() {
    const world = await people();
    const store = new MemoryThrottleStore();
    const throttle = new ScopedRateThrottle({ rates: { x: "3/min", y: "1/min" }, store });
    const route = (throttleScope?: string) => ({
      schemes: world.schemes,
      required: false,
      throttles: [throttle],
      ...(throttleScope === undefined ? {} : { throttleScope }),
    });
    return { ...world, store, xView: route("x"), yView: route("y"), unscopedView: route() };
  }

  it("test_scoped_rate_throttle: each scope at its own rate, reset after the minute", async () => {
    const { xView, yView } = await scoped();
    const hit = async (second: number, view: typeof xView) => {
      at(second);
      return statusOf(from(CLIENT), view);
    };
    expect([await hit(0, xView), await hit(1, xView), await hit(2, xView), await hit(3, xView)]).toEqual([
      200, 200, 200, 429,
    ]);
    expect([await hit(4, yView), await hit(5, yView)]).toEqual([200, 429]);
    // DRF's increment_timer(55): the entries at 0 s, 1 s, 2 s and 4 s leave their windows in turn.
    expect([await hit(60, xView), await hit(61, xView), await hit(62, xView), await hit(63, xView)]).toEqual([
      200, 200, 200, 429,
    ]);
    expect([await hit(64, yView), await hit(65, yView)]).toEqual([200, 429]);
  });

  it("test_unscoped_view_not_throttled: a route without a scope is not counted", async () => {
    const { unscopedView, store } = await scoped();
    const hit = vi.spyOn(store, "hit");
    for (let i = 0; i < 10; i++) {
      at(i);
      expect(await statusOf(from(CLIENT), unscopedView)).toBe(200);
    }
    expect(hit).not.toHaveBeenCalled();
  });

  it("test_get_cache_key_returns_correct_key_if_user_is_authenticated: throttle_user_<id>", async () => {
    const world = await people();
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    const throttle = new ScopedRateThrottle({ rates: { user: "10/min" }, store });
    const options = { schemes: world.schemes, throttles: [throttle], throttleScope: "user" };
    await statusOf(from(CLIENT, { key: world.keys.ada }), options);
    expect(hit.mock.calls[0]?.slice(0, 3)).toEqual([`throttle_user_${world.ada.id}`, 10, 60_000]);
  });

  it("counts an anonymous request by client address: throttle_<scope>_<address>", async () => {
    const { xView, store } = await scoped();
    const hit = vi.spyOn(store, "hit");
    await statusOf(from("198.51.100.4"), xView);
    expect(hit.mock.calls[0]?.[0]).toBe("throttle_x_198.51.100.4");
  });

  it("a route whose scope has no rate is a 500 (DRF's ImproperlyConfigured), never a pass", async () => {
    const { xView } = await scoped();
    const reply = await answer(from(CLIENT), { ...xView, throttleScope: "uploads" });
    expect(reply).toEqual({
      status: 500,
      headers: { "Content-Type": "application/json" },
      body: { detail: "A server error occurred.", code: "error" },
    });
  });

  it("a bad rate for any scope is refused when the throttle is built", () => {
    const store = new MemoryThrottleStore();
    expect(() => new ScopedRateThrottle({ rates: { x: "3/min", y: "1/fortnight" as "1/m" }, store })).toThrow(
      TypeError,
    );
  });
});

describe("SimpleRateThrottleTests and AnonRateThrottleTests", () => {
  it("test_allow_request_returns_true_if_key_is_none: no key, no count, allowed", async () => {
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    class Keyless extends SimpleRateThrottle {
      getCacheKey(): null {
        return null;
      }
    }
    const { view } = await views();
    const options = view(new Keyless("keyless", "0/day", { store }));
    expect(await statusOf(from(CLIENT), options)).toBe(200);
    expect(hit).not.toHaveBeenCalled();
  });

  it("test_authenticated_user_not_affected: AnonRateThrottle neither counts nor refuses a user", async () => {
    const { schemes, keys } = await people();
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    const options = { schemes, required: false, throttles: [new AnonRateThrottle({ rate: "1/day", store })] };
    at(0);
    for (let i = 0; i < 3; i++) expect(await statusOf(from(CLIENT, { key: keys.ada }), options)).toBe(200);
    expect(hit).not.toHaveBeenCalled();
    expect(await statusOf(from(CLIENT), options)).toBe(200);
    expect(await statusOf(from(CLIENT), options)).toBe(429);
    // The user from the same address is still not throttled.
    expect(await statusOf(from(CLIENT, { key: keys.ada }), options)).toBe(200);
  });

  it("test_get_cache_key_returns_correct_value: throttle_anon_None without an address", async () => {
    const { schemes } = await people();
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    const options = { schemes, required: false, throttles: [new AnonRateThrottle({ rate: "5/day", store })] };
    await statusOf(from(null), options);
    await statusOf(from("203.0.113.9"), options);
    expect(hit.mock.calls.map(([key, limit, windowMs]) => [key, limit, windowMs])).toEqual([
      ["throttle_anon_None", 5, 86_400_000],
      ["throttle_anon_203.0.113.9", 5, 86_400_000],
    ]);
  });

  it("UserRateThrottle keys a user by id and an anonymous client by address", async () => {
    const { schemes, keys, ada } = await people();
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    const options = { schemes, required: false, throttles: [new UserRateThrottle({ rate: "5/h", store })] };
    await statusOf(from(CLIENT, { key: keys.ada }), options);
    await statusOf(from("203.0.113.9"), options);
    expect(hit.mock.calls.map(([key, limit, windowMs]) => [key, limit, windowMs])).toEqual([
      [`throttle_user_${ada.id}`, 5, 3_600_000],
      ["throttle_user_203.0.113.9", 5, 3_600_000],
    ]);
  });

  it("a user is counted apart from the anonymous requests of the same address", async () => {
    const { schemes, keys } = await people();
    const store = new MemoryThrottleStore();
    const options = { schemes, required: false, throttles: [new UserRateThrottle({ rate: "1/day", store })] };
    at(0);
    expect(await statusOf(from(CLIENT), options)).toBe(200);
    expect(await statusOf(from(CLIENT), options)).toBe(429);
    expect(await statusOf(from(CLIENT, { key: keys.ada }), options)).toBe(200);
    expect(await statusOf(from(CLIENT, { key: keys.ada }), options)).toBe(429);
  });
});

describe("DRF's burst and sustained rates (two UserRateThrottle subclasses with their own scopes)", () => {
  it("counts each under its own key on one store, with DRF's answers", async () => {
    const { schemes, keys, ada } = await people();
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    const throttles = [
      new UserRateThrottle({ scope: "burst", rate: "2/min", store }),
      new UserRateThrottle({ scope: "sustained", rate: "3/day", store }),
    ];
    const options = { schemes, throttles };
    const request = () => from(CLIENT, { key: keys.ada });
    at(0);
    expect([await statusOf(request(), options), await statusOf(request(), options)]).toEqual([200, 200]);
    expect(await answer(request(), options)).toMatchObject({ status: 429, headers: { "Retry-After": "60" } });
    // The burst has room again; the day has counted all three requests, the refused one included.
    at(60);
    expect(await answer(request(), options)).toMatchObject({
      status: 429,
      headers: { "Retry-After": "86340" },
    });
    expect(new Set(hit.mock.calls.map(([key]) => key))).toEqual(
      new Set([`throttle_burst_${ada.id}`, `throttle_sustained_${ada.id}`]),
    );
  });

  it("AnonRateThrottle takes a scope too", async () => {
    const { schemes } = await people();
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    const throttle = new AnonRateThrottle({ scope: "anon_burst", rate: "5/min", store });
    await statusOf(from(CLIENT), { schemes, required: false, throttles: [throttle] });
    expect(hit.mock.calls[0]?.[0]).toBe(`throttle_anon_burst_${CLIENT}`);
    expect(throttle.scope).toBe("anon_burst");
  });
});

describe("parseRate (DRF's parse_rate)", () => {
  it.each([
    ["100/day", [100, 86_400]],
    ["10/minute", [10, 60]],
    ["5/s", [5, 1]],
    ["3/sec", [3, 1]],
    ["3/min", [3, 60]],
    ["6/m", [6, 60]],
    ["1000/h", [1000, 3600]],
    ["1/hour", [1, 3600]],
    ["2/d", [2, 86_400]],
    ["0/day", [0, 86_400]],
  ])("reads %s", (rate, expected) => {
    expect(parseRate(rate)).toEqual(expected);
  });

  it.each([
    "100/fortnight",
    "ten/day",
    "100",
    "",
    "100/",
    "/day",
    "-1/day",
    "1.5/day",
    "100/Day",
    "100/day/extra",
    "100/2-sec",
    " 100/day",
    "100 /day",
  ])("refuses %j with a TypeError", (rate) => {
    expect(() => parseRate(rate)).toThrow(TypeError);
  });

  it.each([null, undefined, 100])("refuses %j with a TypeError", (rate) => {
    expect(() => parseRate(rate as unknown as string)).toThrow(TypeError);
  });

  it("names the rate and the form in the message", () => {
    expect(() => parseRate("100/fortnight")).toThrow(
      'Invalid throttle rate "100/fortnight": use "<requests>/<s|m|h|d…>", as "100/day".',
    );
  });

  it("the throttles refuse a bad rate or a missing store when built", () => {
    const store = new MemoryThrottleStore();
    expect(() => new AnonRateThrottle({ rate: "lots" as "1/d", store })).toThrow(TypeError);
    expect(() => new UserRateThrottle({ rate: "1/week" as "1/d", store })).toThrow(TypeError);
    expect(() => new UserRateThrottle({ rate: "1/day" } as never)).toThrow(
      "The user throttle needs a `store`.",
    );
    expect(() => new AnonRateThrottle(undefined as never)).toThrow(TypeError);
  });
});

/** A store whose backend is down, or broken by a bug. */
function failingStore(error: unknown): MemoryThrottleStore {
  const store = new MemoryThrottleStore();
  vi.spyOn(store, "hit").mockRejectedValue(error);
  return store;
}

describe("a store that cannot answer", () => {
  it("fails closed by default: 503 with Retry-After, the error kept for the log", async () => {
    const { schemes } = await people();
    const down = new StoreUnavailable("throttles");
    const throttle = new AnonRateThrottle({ rate: "100/day", store: failingStore(down) });
    const result = await guard(from(CLIENT), {
      schemes,
      required: false,
      throttles: [throttle],
    });
    expect(result).toEqual({
      ok: false,
      status: 503,
      headers: { "Content-Type": "application/json", "Retry-After": "5" },
      body: { detail: "Service temporarily unavailable, try again later.", code: "service_unavailable" },
      error: down,
    });
  });

  it("failOpen: true lets the request through and reports the failure to onStoreError", async () => {
    const { schemes } = await people();
    const down = new StoreUnavailable("throttles");
    const onStoreError = vi.fn();
    const throttle = new AnonRateThrottle({
      rate: "100/day",
      store: failingStore(down),
      failOpen: true,
      onStoreError,
    });
    expect(await statusOf(from(CLIENT), { schemes, required: false, throttles: [throttle] })).toBe(200);
    expect(onStoreError).toHaveBeenCalledExactlyOnceWith(down);
  });

  it("failOpen reports to console.error without onStoreError", async () => {
    const { schemes } = await people();
    const down = new StoreUnavailable("throttles");
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const throttle = new AnonRateThrottle({ rate: "100/day", store: failingStore(down), failOpen: true });
    expect(await statusOf(from(CLIENT), { schemes, required: false, throttles: [throttle] })).toBe(200);
    expect(log).toHaveBeenCalledExactlyOnceWith(down);
  });

  it("failOpen covers a store that cannot answer, not a bug: that is still a 500", async () => {
    const { schemes } = await people();
    const onStoreError = vi.fn();
    const throttle = new AnonRateThrottle({
      rate: "100/day",
      store: failingStore(new TypeError("undefined is not a function")),
      failOpen: true,
      onStoreError,
    });
    expect(await answer(from(CLIENT), { schemes, required: false, throttles: [throttle] })).toMatchObject({
      status: 500,
      body: { code: "error" },
    });
    expect(onStoreError).not.toHaveBeenCalled();
  });
});

describe("the throttled event", () => {
  it("carries the key, the scope and the client address, once per refused request", async () => {
    const { schemes, keys, ada } = await people();
    const events = new AuthEvents();
    const seen: unknown[] = [];
    events.on("throttled", (payload) => {
      seen.push(payload);
    });
    const store = new MemoryThrottleStore();
    const throttles = [
      new AnonRateThrottle({ rate: "1/min", store, events }),
      new UserRateThrottle({ rate: "1/min", store, events }),
    ];
    const options = { schemes, required: false, throttles };
    at(0);
    await statusOf(from("203.0.113.9"), options);
    expect(seen).toEqual([]);
    expect(await statusOf(from("203.0.113.9"), options)).toBe(429);
    await statusOf(from("203.0.113.9", { key: keys.ada }), options);
    await statusOf(from("203.0.113.9", { key: keys.ada }), options);
    expect(seen).toEqual([
      { key: "throttle_anon_203.0.113.9", scope: "anon", clientIp: "203.0.113.9" },
      { key: "throttle_user_203.0.113.9", scope: "user", clientIp: "203.0.113.9" },
      { key: `throttle_user_${ada.id}`, scope: "user", clientIp: "203.0.113.9" },
    ]);
  });
});

describe("a custom SimpleRateThrottle (DRF's custom throttles)", () => {
  it("counts by its own key with DRF's cache format", async () => {
    class TenantRateThrottle extends SimpleRateThrottle {
      getCacheKey(ctx: ThrottleContext): string | null {
        return this.cacheKey(ctx.request.headers.get("x-tenant"));
      }
    }
    const store = new MemoryThrottleStore();
    const { view } = await views();
    const options = view(new TenantRateThrottle("tenant", "2/min", { store }));
    const tenant = (name: string) => from(CLIENT, { headers: { "X-Tenant": name } });
    at(0);
    expect([await statusOf(tenant("acme"), options), await statusOf(tenant("acme"), options)]).toEqual([
      200, 200,
    ]);
    expect(await statusOf(tenant("acme"), options)).toBe(429);
    expect(await statusOf(tenant("globex"), options)).toBe(200);
    const state: ThrottleState = await store.peek("throttle_tenant_acme", 2, 60_000, Date.now());
    expect(state).toEqual({ allowed: false, count: 2, oldest: Date.now() });
  });
});
