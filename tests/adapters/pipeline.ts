/**
 * DRF's request pipeline (schemes → permissions → throttles) and the lockout of login points, owed by
 * every adapter: run through its real framework over HTTP on 127.0.0.1 against the routes of
 * ./pipeline-world.ts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { StoreUnavailable } from "../../src/index.js";
import { basicAuthHeader } from "../../src/testing/index.js";
import { type PipelineWorld, pipelineWorld } from "./pipeline-world.js";
import { ADA, GOOD_BASIC, NOT_AUTHENTICATED, type Reported, read, refusal, UNAVAILABLE } from "./suite.js";
import { PASSWORD } from "./world.js";

/** A running app serving the table. */
export interface PipelineHarness {
  /** Sends a request over HTTP to 127.0.0.1. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The errors the app reported (onError, the `error` event, the log). */
  reported(): Reported[];
  /** Stops the app. */
  close(): Promise<void>;
}

export const GRACE = { id: "2", username: "grace" };
export const GRACE_BASIC = basicAuthHeader("grace", PASSWORD);
const BAD_BASIC = basicAuthHeader("ada", "wrong");
const CHALLENGE = 'Basic realm="api"';
export const PERMISSION_DENIED = {
  detail: "You do not have permission to perform this action.",
  code: "permission_denied",
};

/** DRF's 429: the body, `Retry-After`, no challenge. */
function throttled(seconds: number) {
  return {
    ...refusal(429, {
      detail: `Request was throttled. Expected available in ${seconds} seconds.`,
      code: "throttled",
    }),
    retryAfter: String(seconds),
  };
}

/** A 200 of the table's handler. */
function passed(user: unknown, clientIp: string | null = "127.0.0.1") {
  return {
    status: 200,
    contentType: expect.stringMatching(/^application\/json/) as unknown,
    challenge: null,
    retryAfter: null,
    text: JSON.stringify({ user, contextUser: user, clientIp }),
  };
}

/**
 * Declares the pipeline tests for one adapter.
 *
 * @param name - the adapter
 * @param start - serves the table of a fresh {@link PipelineWorld} over HTTP on 127.0.0.1
 */
export function describePipeline(name: string, start: (w: PipelineWorld) => Promise<PipelineHarness>): void {
  describe(`${name}: permissions, throttles and lockout through the framework`, () => {
    let w: PipelineWorld;
    let app: PipelineHarness;
    beforeAll(async () => {
      w = await pipelineWorld();
      app = await start(w);
    });
    afterAll(() => app.close());
    // A frozen clock: the throttles' and lockout's waits are whole minutes.
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date("2026-01-05T12:00:00Z"));
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    const as = (authorization: string | null): Record<string, string> =>
      authorization ? { Authorization: authorization } : {};
    const get = async (
      path: string,
      authorization: string | null = null,
      headers: Record<string, string> = {},
    ) => read(await app.fetch(path, { headers: { ...as(authorization), ...headers } }));
    const post = async (path: string, authorization: string | null = null) =>
      read(await app.fetch(path, { method: "POST", headers: as(authorization) }));
    const times = async (n: number, send: () => Promise<unknown>) => {
      const answers: unknown[] = [];
      for (let i = 0; i < n; i++) answers.push(await send());
      return answers;
    };

    describe("permissions", () => {
      it("IsAdminUser: anonymous 401 with Basic's challenge, non-staff 403, staff 200", async () => {
        expect(await get("/api/admin/")).toEqual(refusal(401, NOT_AUTHENTICATED, CHALLENGE));
        expect(await get("/api/admin/", GOOD_BASIC)).toEqual(refusal(403, PERMISSION_DENIED));
        expect(await get("/api/admin/", `Token ${w.key}`)).toEqual(refusal(403, PERMISSION_DENIED));
        expect(await get("/api/admin/", GRACE_BASIC)).toEqual(passed(GRACE));
      });

      it("IsAdminUser still answers bad credentials as the scheme does", async () => {
        expect(await get("/api/admin/", BAD_BASIC)).toEqual(
          refusal(401, { detail: "Invalid username/password.", code: "authentication_failed" }, CHALLENGE),
        );
      });

      it("IsAuthenticatedOrReadOnly with required: false: anonymous may read, not write", async () => {
        expect(await get("/api/articles/")).toEqual(passed(null));
        expect(await post("/api/articles/")).toEqual(refusal(401, NOT_AUTHENTICATED, CHALLENGE));
        expect(await post("/api/articles/", GOOD_BASIC)).toEqual(passed(ADA));
      });

      it("a permission's own message and code; anonymous is 401, not its message", async () => {
        const denied = refusal(403, { detail: "Upgrade your plan to use this.", code: "plan_required" });
        expect(await get("/api/plan/", GOOD_BASIC)).toEqual(denied);
        expect(await get("/api/plan/", GOOD_BASIC, { "X-Plan": "pro" })).toEqual(passed(ADA));
        expect(await get("/api/plan/", null, { "X-Plan": "pro" })).toEqual(
          refusal(401, NOT_AUTHENTICATED, CHALLENGE),
        );
      });

      it("an async permission, with DRF's default message", async () => {
        expect(await get("/api/async/", GOOD_BASIC)).toEqual(refusal(403, PERMISSION_DENIED));
        expect(await get("/api/async/", GRACE_BASIC)).toEqual(passed(GRACE));
      });

      it("checkObjectPermissions in the handler: the owner passes, another user 403, anonymous 401", async () => {
        expect(await get("/api/notes/?owner=ada", GOOD_BASIC)).toEqual(passed(ADA));
        expect(await get("/api/notes/?owner=grace", GOOD_BASIC)).toEqual(
          refusal(403, { detail: "You do not own this note.", code: "not_owner" }),
        );
        expect(await get("/api/notes/?owner=ada", `Token ${w.key}`)).toEqual(passed(ADA));
        // Anonymous may read (IsAuthenticatedOrReadOnly) but owns nothing: DRF's NotAuthenticated.
        expect(await get("/api/notes/?owner=ada")).toEqual(refusal(401, NOT_AUTHENTICATED, CHALLENGE));
        // Writing is refused before the handler runs.
        expect(await post("/api/notes/?owner=ada")).toEqual(refusal(401, NOT_AUTHENTICATED, CHALLENGE));
      });

      it("reports none of the refusals: they are answers", async () => {
        const before = app.reported().length;
        await get("/api/admin/", GOOD_BASIC);
        await get("/api/notes/?owner=grace", GOOD_BASIC);
        await get("/api/notes/?owner=ada");
        expect(app.reported().slice(before)).toEqual([]);
      });
    });

    describe("throttles", () => {
      it("UserRateThrottle 3/minute: the 4th request is 429 with Retry-After; counts per user id", async () => {
        expect(await times(3, () => get("/api/user-rate/", GOOD_BASIC))).toEqual(Array(3).fill(passed(ADA)));
        expect(await get("/api/user-rate/", GOOD_BASIC)).toEqual(throttled(60));
        // ada's Token counts as ada; grace has a count of her own.
        expect(await get("/api/user-rate/", `Token ${w.key}`)).toEqual(throttled(60));
        expect(await get("/api/user-rate/", GRACE_BASIC)).toEqual(passed(GRACE));
        expect(w.stores.user.keys).toEqual([...Array(5).fill("throttle_user_1"), "throttle_user_2"]);
        expect(w.seen.filter((seen) => seen.event === "throttled")).toEqual([
          { event: "throttled", scope: "user", clientIp: "127.0.0.1" },
          { event: "throttled", scope: "user", clientIp: "127.0.0.1" },
        ]);
      });

      it("an anonymous request counts by the socket's address; X-Forwarded-For is not trusted by default", async () => {
        const spoofed = (i: number) => ({ "X-Forwarded-For": `203.0.113.${i}` });
        expect(await get("/api/anon-rate/", null, spoofed(1))).toEqual(passed(null));
        expect(await get("/api/anon-rate/", null, spoofed(2))).toEqual(passed(null));
        expect(await get("/api/anon-rate/", null, spoofed(3))).toEqual(passed(null));
        expect(await get("/api/anon-rate/", null, spoofed(4))).toEqual(throttled(60));
        // AnonRateThrottle leaves authenticated users alone.
        expect(await get("/api/anon-rate/", GOOD_BASIC)).toEqual(passed(ADA));
        expect(w.stores.anon.keys).toEqual(Array(4).fill("throttle_anon_127.0.0.1"));
      });

      it("numProxies: 1 reads the client from the last X-Forwarded-For entry", async () => {
        const from = (address: string) => ({ "X-Forwarded-For": `198.51.100.7, ${address}` });
        expect(await get("/api/behind-proxy/", null, from("203.0.113.1"))).toEqual(
          passed(null, "203.0.113.1"),
        );
        expect(await get("/api/behind-proxy/", null, from("203.0.113.1"))).toEqual(throttled(60));
        expect(await get("/api/behind-proxy/", null, from("203.0.113.2"))).toEqual(
          passed(null, "203.0.113.2"),
        );
        // Without the header: the socket's address.
        expect(await get("/api/behind-proxy/")).toEqual(passed(null));
        expect(w.stores.proxy.keys).toEqual([
          "throttle_anon_203.0.113.1",
          "throttle_anon_203.0.113.1",
          "throttle_anon_203.0.113.2",
          "throttle_anon_127.0.0.1",
        ]);
      });

      it("ScopedRateThrottle: each route's throttleScope at its own rate; a route without one is not counted", async () => {
        expect(await times(2, () => get("/api/uploads/", GOOD_BASIC))).toEqual(Array(2).fill(passed(ADA)));
        expect(await get("/api/uploads/", GOOD_BASIC)).toEqual(throttled(60));
        expect(await get("/api/contacts/", GOOD_BASIC)).toEqual(passed(ADA));
        expect(await get("/api/contacts/", GOOD_BASIC)).toEqual(throttled(60));
        expect(await get("/api/contacts/")).toEqual(passed(null));
        expect(await times(3, () => get("/api/unscoped/", GOOD_BASIC))).toEqual(Array(3).fill(passed(ADA)));
        expect(w.stores.scoped.keys).toEqual([
          ...Array(3).fill("throttle_uploads_1"),
          ...Array(2).fill("throttle_contacts_1"),
          "throttle_contacts_127.0.0.1",
        ]);
      });

      it("a throttle store that cannot answer: 503 with Retry-After (fail closed), reported", async () => {
        const before = app.reported().length;
        expect(await get("/api/throttle-down/", GOOD_BASIC)).toEqual({
          ...refusal(503, UNAVAILABLE),
          retryAfter: "5",
        });
        expect(app.reported().slice(before)).toEqual([
          { name: "StoreUnavailable", message: "The throttles store is unavailable." },
        ]);
      });

      it("failOpen: the request goes through and the store's failure goes to onStoreError", async () => {
        const before = w.failedOpen.length;
        expect(await get("/api/throttle-open/", GOOD_BASIC)).toEqual(passed(ADA));
        expect(w.failedOpen.slice(before)).toEqual([expect.any(StoreUnavailable)]);
      });
    });

    describe("createAuth defaults, overridden per route", () => {
      it("the project's permissions and throttles apply to auth()", async () => {
        expect(await get("/api/project/", GOOD_BASIC)).toEqual(refusal(403, PERMISSION_DENIED));
        expect(await get("/api/project/")).toEqual(refusal(401, NOT_AUTHENTICATED, CHALLENGE));
        expect(await times(2, () => get("/api/project/", GRACE_BASIC))).toEqual(Array(2).fill(passed(GRACE)));
        expect(await get("/api/project/", GRACE_BASIC)).toEqual(throttled(60));
      });

      it("a route's permissions replace the project's; its throttles stay", async () => {
        expect(await times(2, () => get("/api/project/authenticated/", GOOD_BASIC))).toEqual(
          Array(2).fill(passed(ADA)),
        );
        expect(await get("/api/project/authenticated/", GOOD_BASIC)).toEqual(throttled(60));
      });

      it("a route's throttles: [] replace the project's; its permissions stay", async () => {
        expect(await times(4, () => get("/api/project/unthrottled/", `Token ${w.key}`))).toEqual(
          Array(4).fill(refusal(403, PERMISSION_DENIED)),
        );
        // grace's count on the project's throttle is spent (the test above): this route does not count.
        expect(await times(3, () => get("/api/project/unthrottled/", GRACE_BASIC))).toEqual(
          Array(3).fill(passed(GRACE)),
        );
      });
    });

    describe("lockout keyed by the socket's address", () => {
      const loginAs = async (username: string, password: string) =>
        read(
          await app.fetch("/api/login/", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ username, password }),
          }),
        );
      const badLogin = {
        status: 400,
        contentType: "application/json",
        challenge: null,
        retryAfter: null,
        text: JSON.stringify({ non_field_errors: ["Unable to log in with provided credentials."] }),
      };

      it("mount(obtainAuthToken with lockout): the 3rd login after 2 failures is 429, whatever the password", async () => {
        w.seen.length = 0;
        expect(await loginAs("ada", "wrong")).toEqual(badLogin);
        expect(await loginAs("ada", "wrong")).toEqual(badLogin);
        expect(await loginAs("ada", "wrong")).toEqual(throttled(900));
        expect(await loginAs("ada", PASSWORD)).toEqual(throttled(900));
        // The lock is (username, address): grace logs in from the same address.
        const grace = await loginAs("grace", PASSWORD);
        expect(grace.status).toBe(200);
        expect(Object.keys(JSON.parse(grace.text) as object)).toEqual(["token"]);
        expect(w.seen).toEqual([
          { event: "lockedOut", scope: "lockout_user", clientIp: "127.0.0.1", username: "ada" },
          { event: "throttled", scope: "lockout", clientIp: "127.0.0.1" },
          { event: "throttled", scope: "lockout", clientIp: "127.0.0.1" },
        ]);
      });

      it("BasicAuthentication with lockout: the 3rd Basic login after 2 failures is 429", async () => {
        w.seen.length = 0;
        const invalid = refusal(
          401,
          { detail: "Invalid username/password.", code: "authentication_failed" },
          CHALLENGE,
        );
        expect(await get("/api/basic-lockout/", BAD_BASIC)).toEqual(invalid);
        expect(await get("/api/basic-lockout/", BAD_BASIC)).toEqual(invalid);
        expect(await get("/api/basic-lockout/", GOOD_BASIC)).toEqual(throttled(900));
        expect(await get("/api/basic-lockout/", GRACE_BASIC)).toEqual(passed(GRACE));
        expect(w.seen).toEqual([
          { event: "lockedOut", scope: "lockout_user", clientIp: "127.0.0.1", username: "ada" },
          { event: "throttled", scope: "lockout", clientIp: "127.0.0.1" },
        ]);
      });
    });
  });
}
