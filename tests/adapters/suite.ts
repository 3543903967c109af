/**
 * The behaviour every adapter owes, run against each one through its real framework. An adapter's test
 * file builds an app serving the routes below from a {@link World} and hands back a {@link Harness}.
 *
 * | route | methods | guard |
 * |---|---|---|
 * | /api/me/ | GET | `[basic, token, bearer]` |
 * | /api/feed/ | GET | `[basic, token, bearer]`, `required: false` |
 * | /api/ping/ | GET, POST | `[session, basic]` (session first: anonymous gets 403) |
 * | /api/locked/ | GET | `[basic, locked]` |
 * | /api/boom/ | GET | `[boom]` |
 * | /api/down/ | GET | `[down]` |
 * | /api/default/ | GET | `createAuth({ schemes: [basic] })` → `auth()` |
 * | /api/override/ | GET | the same → `auth({ schemes: [token] })` |
 * | /api/default-optional/ | GET | the same → `auth({ required: false })` |
 * | /api/token/, /api/token/refresh/ | all | mounted `views.jwt.obtainPair` / `.refresh` |
 * | /api/session/csrf/, /api/session/login/ | all | mounted `views.session.csrf` / `.login` |
 * | /api/raise/denied/, /api/raise/not-authenticated/ | GET | `[basic, token, bearer]`; the handler rejects with `RAISED[kind]()` |
 * | /api/raise/failed-session-first/ | GET | `[session, basic]`; the handler rejects with `RAISED[kind]()` |
 * | /api/fail/bug/, /api/fail/down/, /api/fail/denied/ | all | mounted `FAILING_ENDPOINTS[path]` |
 * | /api/token/missing-table/ | all | mounted `views.missingTable.obtainPair` |
 *
 * Every guarded route answers 200 {@link whoAmI}`(user, auth)`. The app has an error handler of its own
 * that would send the error's message (Fastify's default does): the adapter must answer before it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuthHeader } from "../../src/testing/index.js";
import { LEAKED, PASSWORD, type World, world } from "./world.js";

/** An error as the app reported it (onError, the app's `error` event, the log). */
export interface Reported {
  name: string;
  message: string;
}

/** A running app. */
export interface Harness {
  /** Sends a request to the app (`path` starts with "/"), through the framework. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The errors the app reported so far. */
  reported(): Reported[];
  /** Stops the app. */
  close(): Promise<void>;
}

export interface SuiteOptions {
  /** Whether a broken scheme is answered by the adapter itself as JSON 500/503 (every adapter does). */
  answersServerErrors: boolean;
}

export const NOT_AUTHENTICATED = {
  detail: "Authentication credentials were not provided.",
  code: "not_authenticated",
};
export const INVALID_BASIC = { detail: "Invalid username/password.", code: "authentication_failed" };
export const SERVER_ERROR = { detail: "A server error occurred.", code: "error" };
export const UNAVAILABLE = {
  detail: "Service temporarily unavailable, try again later.",
  code: "service_unavailable",
};
export const BOOM_REPORTED: Reported = {
  name: "SchemeError",
  message: 'Authentication scheme "boom" failed unexpectedly: Error: boom',
};
export const DOWN_REPORTED: Reported = {
  name: "SchemeError",
  message:
    'Authentication scheme "token" failed unexpectedly: StoreUnavailable: The tokens store is unavailable.',
};
export const ADA = { id: "1", username: "ada" };
export const GOOD_BASIC = basicAuthHeader("ada", PASSWORD);
export const BAD_BASIC = basicAuthHeader("ada", "wrong");

/** Status, the headers of interest and the exact body text. */
export async function read(response: Response) {
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    challenge: response.headers.get("www-authenticate"),
    retryAfter: response.headers.get("retry-after"),
    text: await response.text(),
  };
}

/** The exact answer to a refused request: DRF's JSON body, its Content-Type, and the challenge (or none). */
export function refusal(status: number, body: object, challenge: string | null = null) {
  return {
    status,
    contentType: "application/json",
    challenge,
    retryAfter: null,
    text: JSON.stringify(body),
  };
}

/** A 200 from a guarded route. */
export function allowed(user: unknown, auth: string | null) {
  return { status: 200, text: JSON.stringify({ user, auth }) };
}

/** A browser's cookie jar: each Set-Cookie line kept apart, the last value of a name wins. */
export class Jar {
  readonly cookies = new Map<string, string>();
  take(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";", 1);
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  }
  get header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/**
 * Declares the shared tests for one adapter.
 *
 * @param name - the adapter
 * @param start - builds and starts the app over a fresh world
 * @param options - what differs between adapters
 */
export function describeAdapter(
  name: string,
  start: (world: World) => Promise<Harness>,
  options: SuiteOptions,
): void {
  describe(`${name}: the behaviour every adapter owes`, () => {
    let w: World;
    let app: Harness;
    beforeAll(async () => {
      w = await world();
      app = await start(w);
    });
    afterAll(() => app.close());

    const get = (path: string, headers: Record<string, string> = {}) => app.fetch(path, { headers });
    const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      app.fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
      });

    describe("401 and 403", () => {
      it("answers an anonymous request 401 with the first scheme's challenge and DRF's body", async () => {
        expect(await read(await get("/api/me/"))).toEqual(
          refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
        );
      });

      it("answers bad Basic credentials 401 Invalid username/password.", async () => {
        expect(await read(await get("/api/me/", { Authorization: BAD_BASIC }))).toEqual(
          refusal(401, INVALID_BASIC, 'Basic realm="api"'),
        );
      });

      it("answers a bad Token 401 with the FIRST scheme's challenge (Basic), as DRF", async () => {
        expect(await read(await get("/api/me/", { Authorization: "Token pct_nope" }))).toEqual(
          refusal(401, { detail: "Invalid token.", code: "authentication_failed" }, 'Basic realm="api"'),
        );
      });

      it.each(["GET", "POST"])(
        "answers an anonymous %s 403 without WWW-Authenticate when SessionAuthentication is first",
        async (method) => {
          expect(await read(await app.fetch("/api/ping/", { method }))).toEqual(
            refusal(403, NOT_AUTHENTICATED),
          );
        },
      );

      it("answers a scheme's PermissionDenied 403 without WWW-Authenticate", async () => {
        expect(await read(await get("/api/locked/", { "X-Account": "locked" }))).toEqual(
          refusal(403, { detail: "Account locked.", code: "account_locked" }),
        );
        // The same route, anonymous: the first scheme's challenge.
        expect(await read(await get("/api/locked/"))).toEqual(
          refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
        );
      });
    });

    describe("success carries the user", () => {
      it("with Basic", async () => {
        expect(await read(await get("/api/me/", { Authorization: GOOD_BASIC }))).toMatchObject(
          allowed(ADA, null),
        );
      });

      it("with a Token from TokenAuthentication.issue", async () => {
        expect(await read(await get("/api/me/", { Authorization: `Token ${w.key}` }))).toMatchObject(
          allowed(ADA, "token"),
        );
      });

      it("with a JWT from obtainPair", async () => {
        const { access } = await w.jwt.obtainPair(w.ada);
        expect(await read(await get("/api/me/", { Authorization: `Bearer ${access}` }))).toMatchObject(
          allowed(ADA, "jwt access"),
        );
      });

      it("with Basic on the session-first route", async () => {
        expect(await read(await get("/api/ping/", { Authorization: GOOD_BASIC }))).toMatchObject(
          allowed(ADA, null),
        );
      });
    });

    describe("required: false", () => {
      it("lets an anonymous request through with user and auth null", async () => {
        expect(await read(await get("/api/feed/"))).toMatchObject(allowed(null, null));
      });

      it("still refuses bad credentials", async () => {
        expect(await read(await get("/api/feed/", { Authorization: BAD_BASIC }))).toEqual(
          refusal(401, INVALID_BASIC, 'Basic realm="api"'),
        );
      });

      it("still carries a user who authenticates", async () => {
        expect(await read(await get("/api/feed/", { Authorization: `Token ${w.key}` }))).toMatchObject(
          allowed(ADA, "token"),
        );
      });
    });

    describe("createAuth({ schemes }) defaults", () => {
      it("auth() uses the project's schemes and refuses anonymous requests", async () => {
        expect(await read(await get("/api/default/", { Authorization: GOOD_BASIC }))).toMatchObject(
          allowed(ADA, null),
        );
        expect(await read(await get("/api/default/"))).toEqual(
          refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
        );
        // Token is not among the defaults: its header is someone else's, so the request is anonymous.
        expect(await read(await get("/api/default/", { Authorization: `Token ${w.key}` }))).toEqual(
          refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
        );
      });

      it("a route's own schemes replace the defaults", async () => {
        expect(await read(await get("/api/override/", { Authorization: `Token ${w.key}` }))).toMatchObject(
          allowed(ADA, "token"),
        );
        expect(await read(await get("/api/override/", { Authorization: GOOD_BASIC }))).toEqual(
          refusal(401, NOT_AUTHENTICATED, "Token"),
        );
      });

      it("a route's required: false keeps the default schemes", async () => {
        expect(await read(await get("/api/default-optional/"))).toMatchObject(allowed(null, null));
        expect(await read(await get("/api/default-optional/", { Authorization: GOOD_BASIC }))).toMatchObject(
          allowed(ADA, null),
        );
        expect(await read(await get("/api/default-optional/", { Authorization: BAD_BASIC }))).toEqual(
          refusal(401, INVALID_BASIC, 'Basic realm="api"'),
        );
      });
    });

    if (options.answersServerErrors) {
      describe("a broken scheme is never anonymous", () => {
        it("answers a throwing scheme 500 and reports the error", async () => {
          const before = app.reported().length;
          expect(await read(await get("/api/boom/"))).toEqual(refusal(500, SERVER_ERROR));
          expect(app.reported().slice(before)).toEqual([BOOM_REPORTED]);
        });

        it("answers a store that cannot answer 503 with Retry-After, and reports it", async () => {
          const before = app.reported().length;
          expect(await read(await get("/api/down/", { Authorization: `Token ${w.key}` }))).toEqual({
            ...refusal(503, UNAVAILABLE),
            retryAfter: "5",
          });
          expect(app.reported().slice(before)).toEqual([DOWN_REPORTED]);
        });

        it("reports nothing for ordinary refusals", async () => {
          const before = app.reported().length;
          await get("/api/me/", { Authorization: BAD_BASIC });
          await get("/api/ping/");
          expect(app.reported().slice(before)).toEqual([]);
        });
      });
    }

    describe("an AuthError the route's handler throws answers its own status (DRF's exception handler)", () => {
      it("PermissionDenied: 403 with DRF's body, no challenge", async () => {
        expect(await read(await get("/api/raise/denied/", { Authorization: GOOD_BASIC }))).toEqual(
          refusal(403, {
            detail: "You do not have permission to perform this action.",
            code: "permission_denied",
          }),
        );
      });

      it("NotAuthenticated: 401 with the route's first scheme's challenge", async () => {
        expect(
          await read(await get("/api/raise/not-authenticated/", { Authorization: `Token ${w.key}` })),
        ).toEqual(refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'));
      });

      it("AuthenticationFailed on a route whose first scheme has no challenge: 403", async () => {
        const response = await get("/api/raise/failed-session-first/", { Authorization: GOOD_BASIC });
        expect(await read(response)).toEqual(refusal(403, { detail: "Nope.", code: "nope" }));
      });

      it("reports none of them: they are answers, not failures", async () => {
        const before = app.reported().length;
        await get("/api/raise/denied/", { Authorization: GOOD_BASIC });
        await get("/api/raise/not-authenticated/", { Authorization: GOOD_BASIC });
        expect(app.reported().slice(before)).toEqual([]);
      });
    });

    describe("a mounted endpoint's failures are answered by mount, whatever the app's error handler", () => {
      it("a bug: 500 with the standard body, never the error's message; reported", async () => {
        const before = app.reported().length;
        expect(await read(await app.fetch("/api/fail/bug/", { method: "POST" }))).toEqual(
          refusal(500, SERVER_ERROR),
        );
        expect(app.reported().slice(before)).toEqual([
          { name: "Error", message: "no such table: auth_token (db.internal)" },
        ]);
      });

      it("a store that cannot answer: 503 with Retry-After; reported", async () => {
        const before = app.reported().length;
        expect(await read(await app.fetch("/api/fail/down/", { method: "POST" }))).toEqual({
          ...refusal(503, UNAVAILABLE),
          retryAfter: "5",
        });
        expect(app.reported().slice(before)).toEqual([
          { name: "StoreUnavailable", message: "The users store is unavailable." },
        ]);
      });

      it("an AuthError: its own status and DRF's body; not reported", async () => {
        const before = app.reported().length;
        expect(await read(await app.fetch("/api/fail/denied/", { method: "POST" }))).toEqual(
          refusal(403, { detail: "Not yours.", code: "not_yours" }),
        );
        expect(app.reported().slice(before)).toEqual([]);
      });

      it("the JWT login over a missing table: 500, the SQL error kept from the client", async () => {
        const before = app.reported().length;
        const response = await postJson("/api/token/missing-table/", { username: "ada", password: PASSWORD });
        const answer = await read(response);
        expect(answer).toEqual(refusal(500, SERVER_ERROR));
        expect(answer.text).not.toContain(LEAKED);
        expect(app.reported().slice(before)).toEqual([
          { name: "Error", message: "no such table: auth_user (db.internal:5432, user portcullis_admin)" },
        ]);
      });
    });

    describe("the Fetch endpoint handlers, mounted", () => {
      it("obtains a JWT pair, uses the access token, refreshes it", async () => {
        const obtained = await postJson("/api/token/", { username: "ada", password: PASSWORD });
        expect(obtained.status).toBe(200);
        expect(obtained.headers.get("content-type")).toBe("application/json");
        expect(obtained.headers.get("cache-control")).toBe("no-store");
        expect(obtained.headers.get("allow")).toBe("POST, OPTIONS");
        const pair = (await obtained.json()) as { refresh: string; access: string };
        expect(Object.keys(pair)).toEqual(["refresh", "access"]);
        expect(await read(await get("/api/me/", { Authorization: `Bearer ${pair.access}` }))).toMatchObject(
          allowed(ADA, "jwt access"),
        );

        const refreshed = await postJson("/api/token/refresh/", { refresh: pair.refresh });
        expect(refreshed.status).toBe(200);
        const next = (await refreshed.json()) as { access: string };
        expect(Object.keys(next)).toEqual(["access"]);
        expect(await w.jwt.validate(next.access, "access")).toMatchObject({ user_id: "1" });
        expect(await read(await get("/api/me/", { Authorization: `Bearer ${next.access}` }))).toMatchObject(
          allowed(ADA, "jwt access"),
        );
      });

      it("refuses wrong credentials with simplejwt's 401 and challenge", async () => {
        const response = await postJson("/api/token/", { username: "ada", password: "wrong" });
        expect(await read(response)).toEqual({
          ...refusal(401, { detail: "No active account found with the given credentials" }),
          challenge: 'Bearer realm="api"',
        });
      });

      it("takes a form body as sent: a repeated field counts by its last value", async () => {
        await expectLastUsernameCounts(app.fetch, w);
      });

      it("passes the method and the handler's headers through (405 with Allow)", async () => {
        const response = await get("/api/token/");
        expect(response.status).toBe(405);
        expect(response.headers.get("allow")).toBe("POST, OPTIONS");
        expect(await response.text()).toBe(JSON.stringify({ detail: 'Method "GET" not allowed.' }));
      });

      it("logs in with CSRF and reaches a session-protected POST route", async () => {
        const jar = new Jar();
        const csrf = jar.take(await get("/api/session/csrf/"));
        expect(csrf.status).toBe(200);
        expect(csrf.headers.getSetCookie()).toHaveLength(1);
        const { csrfToken } = (await csrf.json()) as { csrfToken: string };
        expect(jar.cookies.has("csrftoken")).toBe(true);

        const login = await postJson(
          "/api/session/login/",
          { username: "ada", password: PASSWORD },
          { "X-CSRFToken": csrfToken, Cookie: jar.header },
        );
        expect(login.status).toBe(200);
        expect(login.headers.get("content-type")).toBe("application/json");
        const lines = login.headers.getSetCookie();
        expect(lines).toHaveLength(2);
        expect(lines.map((line) => line.slice(0, line.indexOf("=")))).toEqual(["sessionid", "csrftoken"]);
        expect(await login.text()).toBe(JSON.stringify(ADA));
        jar.take(login);

        const token = jar.cookies.get("csrftoken")!;
        const ping = await app.fetch("/api/ping/", {
          method: "POST",
          headers: { Cookie: jar.header, "X-CSRFToken": token },
        });
        expect(await read(ping)).toMatchObject(allowed(ADA, "session"));

        const forged = await app.fetch("/api/ping/", { method: "POST", headers: { Cookie: jar.header } });
        expect(await read(forged)).toEqual(
          refusal(403, { detail: "CSRF Failed: CSRF token missing.", code: "permission_denied" }),
        );
      });

      it("refuses a login without the CSRF token", async () => {
        const response = await postJson("/api/session/login/", { username: "ada", password: PASSWORD });
        expect(await read(response)).toEqual({
          ...refusal(403, { detail: "CSRF Failed: CSRF cookie not set." }),
        });
      });
    });
  });
}

/** ada's credentials as form fields. */
export const PASSWORD_FORM = { username: "ada", password: PASSWORD };

/**
 * Obtains a JWT pair at /api/token/ with a form whose `username` is repeated (`nobody`, then `ada`) and
 * checks the access token is ada's: the endpoint reads a repeated field's last value (Django's `QueryDict`),
 * whether the body streamed to it or a parser read it first.
 */
export async function expectLastUsernameCounts(
  fetch: (path: string, init?: RequestInit) => Promise<Response>,
  w: World,
): Promise<void> {
  const response = await fetch("/api/token/", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: `username=nobody&username=ada&password=${encodeURIComponent(PASSWORD)}`,
  });
  expect(response.status).toBe(200);
  const { access } = (await response.json()) as { access: string };
  expect(await w.jwt.validate(access, "access")).toMatchObject({ user_id: "1" });
}
