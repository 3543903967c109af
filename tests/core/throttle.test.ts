/**
 * The throttle step of the pipeline (issue 19): DRF's get_ident with NUM_PROXIES (its XFF tests through
 * guard), the address a Fetch server passes beside the request, and where throttles sit in DRF's
 * `initial()`: after authentication and permissions, so a refused request is never counted.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuthOptions, guard, withDefaults } from "../../src/core/guard.js";
import { clientIdent, runtimeRemoteAddress, withRemoteAddress } from "../../src/core/throttle.js";
import { basicAuthHeader, makeRequest } from "../../src/testing/index.js";
import { MemoryThrottleStore, ScopedRateThrottle, UserRateThrottle } from "../../src/throttling/index.js";
import { answer, at, from, people, statusOf } from "../throttling/fixture.js";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const XFF = "0.0.0.0, 1.1.1.1, 2.2.2.2";

/** DRF's XffTestingBase: REMOTE_ADDR 3.3.3.3, X-Forwarded-For 0.0.0.0, 1.1.1.1, 2.2.2.2, 1/day. */
async function xffView(numProxies?: number) {
  const { schemes } = await people();
  const store = new MemoryThrottleStore();
  const options: AuthOptions<unknown> = {
    schemes,
    required: false,
    throttles: [new ScopedRateThrottle({ rates: { test_limit: "1/day" }, store })],
    throttleScope: "test_limit",
    ...(numProxies === undefined ? {} : { numProxies }),
  };
  const view = (forwardedFor = XFF) =>
    statusOf(from("3.3.3.3", { headers: { "X-Forwarded-For": forwardedFor } }), options);
  return { view, store };
}

describe("IdWithXffBasicTests", () => {
  it("test_accepts_request_under_limit", async () => {
    const { view } = await xffView(0);
    expect(await view()).toBe(200);
  });

  it("test_denies_request_over_limit", async () => {
    const { view } = await xffView(0);
    await view();
    expect(await view()).toBe(429);
  });
});

describe("XffSpoofingTests", () => {
  it("test_xff_spoofing_doesnt_change_machine_id_with_one_app_proxy", async () => {
    const { view } = await xffView(1);
    await view();
    expect(await view("4.4.4.4, 5.5.5.5, 2.2.2.2")).toBe(429);
  });

  it("test_xff_spoofing_doesnt_change_machine_id_with_two_app_proxies", async () => {
    const { view } = await xffView(2);
    await view();
    expect(await view("4.4.4.4, 1.1.1.1, 2.2.2.2")).toBe(429);
  });
});

describe("XffUniqueMachinesTest", () => {
  it("test_unique_clients_are_counted_independently_with_one_proxy", async () => {
    const { view } = await xffView(1);
    await view();
    expect(await view("0.0.0.0, 1.1.1.1, 7.7.7.7")).toBe(200);
  });

  it("test_unique_clients_are_counted_independently_with_two_proxies", async () => {
    const { view } = await xffView(2);
    await view();
    expect(await view("0.0.0.0, 7.7.7.7, 2.2.2.2")).toBe(200);
  });
});

describe("without numProxies the header is never read (DRF's NUM_PROXIES = 0, not its None)", () => {
  it("a new X-Forwarded-For does not make a new client", async () => {
    const { view, store } = await xffView();
    const hit = vi.spyOn(store, "hit");
    await view();
    expect(await view("9.9.9.9")).toBe(429);
    expect(hit.mock.calls.map(([key]) => key)).toEqual([
      "throttle_test_limit_3.3.3.3",
      "throttle_test_limit_3.3.3.3",
    ]);
  });
});

describe("clientIdent (DRF's get_ident with NUM_PROXIES)", () => {
  const request = (headers: Record<string, string> = {}, remoteAddress: string | null = "3.3.3.3") => ({
    ...makeRequest({ headers }),
    remoteAddress,
  });

  it.each([
    [undefined, "3.3.3.3"],
    [0, "3.3.3.3"],
    [1, "2.2.2.2"],
    [2, "1.1.1.1"],
    [3, "0.0.0.0"],
    [10, "0.0.0.0"],
  ])("numProxies %s over %j → %s", (numProxies, expected) => {
    expect(clientIdent(request({ "X-Forwarded-For": XFF }), numProxies)).toBe(expected);
  });

  it("takes the socket's address when there is no X-Forwarded-For, whatever numProxies", () => {
    expect(clientIdent(request(), 2)).toBe("3.3.3.3");
  });

  it("strips the spaces around the entry it takes", () => {
    expect(clientIdent(request({ "X-Forwarded-For": "  9.9.9.9 ,   8.8.8.8  " }), 1)).toBe("8.8.8.8");
  });

  it("reads repeated X-Forwarded-For headers as one list", () => {
    const repeated = request({});
    const headers = new Headers();
    headers.append("X-Forwarded-For", "0.0.0.0, 1.1.1.1");
    headers.append("X-Forwarded-For", "2.2.2.2");
    expect(clientIdent({ ...repeated, headers }, 1)).toBe("2.2.2.2");
    expect(clientIdent({ ...repeated, headers }, 2)).toBe("1.1.1.1");
  });

  it("is null with neither an address nor a header", () => {
    expect(clientIdent(request({}, null))).toBeNull();
    expect(clientIdent({ ...makeRequest() })).toBeNull();
  });

  it("numProxies must be a whole number of 0 or more in an adapter's options", () => {
    const schemes = [{ authenticate: async () => null }];
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => withDefaults({ schemes, numProxies: bad })).toThrow(
        new TypeError("`numProxies` must be a whole number, 0 or more."),
      );
    }
    expect(withDefaults({ schemes, numProxies: 2 }).numProxies).toBe(2);
  });
});

describe("the address a Fetch server passes beside the request", () => {
  const request = new Request("http://testserver/");

  it.each([
    ["portcullis's mount: { remoteAddress }", { remoteAddress: "203.0.113.1" }, "203.0.113.1"],
    ["Deno's ServeHandlerInfo", { remoteAddr: { hostname: "203.0.113.2", port: 5000 } }, "203.0.113.2"],
    ["@hono/node-server's env", { incoming: { socket: { remoteAddress: "203.0.113.3" } } }, "203.0.113.3"],
    ["Bun's Server", { requestIP: () => ({ address: "203.0.113.4", port: 5000 }) }, "203.0.113.4"],
    ["Bun without an address", { requestIP: () => null }, null],
    ["nothing", undefined, null],
    ["a Workers env", { DB: {}, KV: {} }, null],
    ["a number", 42, null],
  ])("%s", (_name, info, expected) => {
    expect(runtimeRemoteAddress(request, info)).toBe(expected);
  });

  it("withRemoteAddress prefers the address given, else the server's", () => {
    const given = vi.fn(() => "198.51.100.1");
    const view = withRemoteAddress(request, { remoteAddress: "203.0.113.1" }, given);
    expect(given).not.toHaveBeenCalled(); // read only when asked
    expect(view.remoteAddress).toBe("198.51.100.1");
    expect(withRemoteAddress(request, { remoteAddress: "203.0.113.1" }, () => undefined).remoteAddress).toBe(
      "203.0.113.1",
    );
    expect(withRemoteAddress(request, { remoteAddress: "203.0.113.1" }).remoteAddress).toBe("203.0.113.1");
    expect(withRemoteAddress(request, {}).remoteAddress).toBeNull();
  });
});

describe("throttles come last in DRF's initial()", () => {
  async function route() {
    const world = await people();
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    const throttle = new UserRateThrottle({ rate: "1/min", store });
    return { ...world, store, hit, throttle };
  }

  it("a request refused by `required` or a permission is not counted", async () => {
    const { schemes, hit, throttle, keys } = await route();
    at(0);
    expect(await statusOf(from("203.0.113.9"), { schemes, throttles: [throttle] })).toBe(401);
    const refusing = { hasPermission: () => false };
    expect(
      await statusOf(from("203.0.113.9", { key: keys.ada }), {
        schemes,
        permissions: [refusing],
        throttles: [throttle],
      }),
    ).toBe(403);
    expect(hit).not.toHaveBeenCalled();
    expect(await statusOf(from("203.0.113.9", { key: keys.ada }), { schemes, throttles: [throttle] })).toBe(
      200,
    );
  });

  it("bad credentials are answered before any throttle counts them", async () => {
    const { schemes, hit, throttle } = await route();
    const result = await answer(from("203.0.113.9", { headers: { Authorization: "Token nope" } }), {
      schemes,
      throttles: [throttle],
    });
    expect(result).toMatchObject({ status: 401, body: { code: "authentication_failed" } });
    expect(hit).not.toHaveBeenCalled();
  });

  it("a 401 from a route with throttles keeps the scheme's challenge", async () => {
    const { schemes, throttle } = await route();
    const result = await answer(
      from("203.0.113.9", { headers: { Authorization: basicAuthHeader("ada", "x") } }),
      { schemes, throttles: [throttle] },
    );
    // Basic is not among the schemes: the request is anonymous, and Token's challenge is the answer.
    expect(result).toEqual({
      status: 401,
      headers: { "Content-Type": "application/json", "WWW-Authenticate": "Token" },
      body: { detail: "Authentication credentials were not provided.", code: "not_authenticated" },
    });
  });

  it("the pass carries the context the throttles saw: user id, address and scope", async () => {
    const { schemes, keys, ada } = await people();
    const result = await guard(from("203.0.113.9", { key: keys.ada }), {
      schemes,
      throttles: [],
      throttleScope: "uploads",
    });
    expect(result.ok && result.context).toMatchObject({
      userId: ada.id,
      clientIp: "203.0.113.9",
      throttleScope: "uploads",
      scheme: "token",
    });
  });
});
