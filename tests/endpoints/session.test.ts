import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenDigest } from "../../src/adapter-kit.js";
import { type SessionHandlers, sessionHandlers } from "../../src/endpoints/index.js";
import {
  MemorySessionStore,
  PermissionDenied,
  SessionAuthentication,
  SessionManager,
} from "../../src/index.js";
import { maskCsrfSecret, SESSION_AUTH_HASH_KEY, unmaskCsrfToken } from "../../src/sessions/index.js";
import { makeRequest } from "../../src/testing/index.js";
import { passwords, read, setup } from "./setup.js";

const HTTP = "http://testserver";
const HTTPS = "https://testserver";
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
/** T0 + 14 days (the session cookie) and T0 + 364 days (the CSRF cookie), as `Expires` writes them. */
const SESSION_EXPIRES = "Sat, 12 Dec 2026 12:00:00 GMT";
const CSRF_EXPIRES = "Sat, 27 Nov 2027 12:00:00 GMT";
const EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT";
const CREDENTIALS = { username: "ada", password: "correct horse" };
const SECRET = /^[a-zA-Z0-9]{32}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Users ada, bob, eve (inactive); a MemorySessionStore; the handlers and the scheme over one manager. */
async function world(options: { secure?: boolean } = {}) {
  const ctx = await setup();
  const store = new MemorySessionStore();
  const sessions = new SessionManager({ store, users: ctx.users, secure: options.secure ?? false });
  const views = sessionHandlers({ sessions, events: ctx.events, passwords });
  const auth = new SessionAuthentication({ sessions });
  const cookieName = sessions.cookieName;
  /** What SessionAuthentication makes of a session id alone (GET, so no CSRF check). */
  const whoIs = async (id: string, url = `${(options.secure ?? false) ? HTTPS : HTTP}/`) =>
    (await auth.authenticate(makeRequest({ url, cookies: { [cookieName]: id } })))?.user ?? null;
  return { ...ctx, store, sessions, views, auth, cookieName, whoIs };
}

/** A POST to /api/session/<path>/ with a Cookie header and a body (JSON unless a string or FormData). */
function post(
  path: "login" | "logout",
  init: { base?: string; cookie?: string; headers?: Record<string, string>; body?: unknown } = {},
): Request {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie) headers.Cookie = init.cookie;
  let body: BodyInit | undefined;
  if (init.body instanceof FormData || typeof init.body === "string") body = init.body;
  else if (init.body !== undefined) {
    headers["Content-Type"] ??= "application/json";
    body = JSON.stringify(init.body);
  }
  return new Request(`${init.base ?? HTTP}/api/session/${path}/`, { method: "POST", headers, body });
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

/** A browser's cookie jar over the three handlers: it keeps what Set-Cookie gives, drops what Max-Age=0 clears. */
class Browser {
  readonly jar = new Map<string, string>();
  constructor(
    readonly views: SessionHandlers,
    readonly base = HTTP,
  ) {}

  get cookie(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  keep(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const name = pair.slice(0, pair.indexOf("="));
      if (/; Max-Age=0;/.test(line)) this.jar.delete(name);
      else this.jar.set(name, pair.slice(pair.indexOf("=") + 1));
    }
    return response;
  }

  /** GET /api/session/csrf/: the masked token from the body. */
  async csrf(): Promise<string> {
    const headers: Record<string, string> = this.jar.size > 0 ? { Cookie: this.cookie } : {};
    const response = this.keep(
      await this.views.csrf(new Request(`${this.base}/api/session/csrf/`, { headers })),
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { csrfToken: string }).csrfToken;
  }

  /** Fetches a token, then POSTs the credentials as JSON with X-CSRFToken. */
  async login(credentials: object = CREDENTIALS, headers: Record<string, string> = {}): Promise<Response> {
    const token = await this.csrf();
    const request = post("login", {
      base: this.base,
      cookie: this.cookie,
      headers: { "X-CSRFToken": token, ...headers },
      body: credentials,
    });
    return this.keep(await this.views.login(request));
  }

  async logout(headers: Record<string, string> = {}): Promise<Response> {
    const token = await this.csrf();
    const request = post("logout", {
      base: this.base,
      cookie: this.cookie,
      headers: { "X-CSRFToken": token, ...headers },
    });
    return this.keep(await this.views.logout(request));
  }
}

describe("sessionHandlers csrf (GET /api/session/csrf/)", () => {
  it("answers 200 {csrfToken} with the csrftoken cookie, no-store and Vary: Cookie", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    const { views } = await world();
    const response = await views.csrf(new Request(`${HTTP}/api/session/csrf/`));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Vary")).toBe("Cookie");
    expect(response.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");
    const text = await response.text();
    expect(text).toMatch(/^\{"csrfToken":"[a-zA-Z0-9]{64}"\}$/);
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    const secret = /^csrftoken=([^;]*);/.exec(cookies[0]!)?.[1] ?? "";
    expect(secret).toMatch(SECRET);
    // Readable by scripts (no HttpOnly), not Secure on a secure: false manager, never a Domain.
    expect(cookies[0]).toBe(
      `csrftoken=${secret}; Max-Age=31449600; Expires=${CSRF_EXPIRES}; Path=/; SameSite=Lax`,
    );
    expect(unmaskCsrfToken((JSON.parse(text) as { csrfToken: string }).csrfToken)).toBe(secret);
  });

  it("sets a browser-session csrftoken cookie (no Max-Age, no Expires) with cookieAge: null, at login too", async () => {
    const ctx = await setup();
    const sessions = new SessionManager({
      store: new MemorySessionStore(),
      users: ctx.users,
      secure: false,
      csrf: { cookieAge: null },
    });
    const browser = new Browser(sessionHandlers({ sessions, passwords }));
    const token = await browser.csrf();
    const secret = browser.jar.get("csrftoken")!;
    expect(secret).toMatch(SECRET);
    expect(unmaskCsrfToken(token)).toBe(secret);
    const grant = await browser.views.csrf(
      new Request(`${HTTP}/api/session/csrf/`, { headers: { Cookie: browser.cookie } }),
    );
    expect(grant.headers.getSetCookie()).toEqual([`csrftoken=${secret}; Path=/; SameSite=Lax`]);

    const login = await browser.login();
    expect(login.status).toBe(200);
    const [sessionLine, csrfLine] = login.headers.getSetCookie();
    expect(sessionLine).toMatch(/^sessionid=[^;]+; Max-Age=1209600; Expires=/);
    const rotated = browser.jar.get("csrftoken")!;
    expect(rotated).not.toBe(secret);
    expect(csrfLine).toBe(`csrftoken=${rotated}; Path=/; SameSite=Lax`);
  });

  it("gives each new visitor another secret", async () => {
    const { views } = await world();
    const first = new Browser(views);
    const second = new Browser(views);
    await first.csrf();
    await second.csrf();
    expect(first.jar.get("csrftoken")).not.toBe(second.jar.get("csrftoken"));
  });

  it("reuses the secret already in the cookie, with a fresh mask each time (BREACH)", async () => {
    const { views } = await world();
    const secret = "Abcdefghijklmnopqrstuvwxyz012345";
    const browser = new Browser(views);
    browser.jar.set("csrftoken", secret);
    const first = await browser.csrf();
    const second = await browser.csrf();
    expect(first).not.toBe(second);
    expect(unmaskCsrfToken(first)).toBe(secret);
    expect(unmaskCsrfToken(second)).toBe(secret);
    expect(browser.jar.get("csrftoken")).toBe(secret);
  });

  it("unmasks a 64-character cookie (Django accepts a masked cookie) and stores the secret", async () => {
    const { views } = await world();
    const secret = "Abcdefghijklmnopqrstuvwxyz012345";
    const browser = new Browser(views);
    browser.jar.set("csrftoken", maskCsrfSecret(secret));
    expect(unmaskCsrfToken(await browser.csrf())).toBe(secret);
    expect(browser.jar.get("csrftoken")).toBe(secret);
  });

  it.each([
    ["too short", "csrftoken=abc"],
    ["invalid characters", `csrftoken=${"a".repeat(31)}-`],
    ["sent twice", "csrftoken=Abcdefghijklmnopqrstuvwxyz012345; csrftoken=Abcdefghijklmnopqrstuvwxyz012345"],
    ["malformed", "csrftoken=a b"],
  ])("replaces a cookie that is %s with a new secret", async (_, cookie) => {
    const { views } = await world();
    const response = await views.csrf(
      new Request(`${HTTP}/api/session/csrf/`, { headers: { Cookie: cookie } }),
    );
    const secret = /^csrftoken=([^;]*);/.exec(response.headers.getSetCookie()[0]!)?.[1] ?? "";
    expect(secret).toMatch(SECRET);
    expect(secret).not.toBe("Abcdefghijklmnopqrstuvwxyz012345");
    expect(unmaskCsrfToken(((await response.json()) as { csrfToken: string }).csrfToken)).toBe(secret);
  });

  it("answers a logged-in browser with its session's own secret, whatever its csrftoken cookie holds", async () => {
    const { views } = await world();
    const browser = new Browser(views);
    expect((await browser.login()).status).toBe(200);
    const sessionSecret = browser.jar.get("csrftoken")!;
    browser.jar.set("csrftoken", "Abcdefghijklmnopqrstuvwxyz012345");
    expect(unmaskCsrfToken(await browser.csrf())).toBe(sessionSecret);
    expect(browser.jar.get("csrftoken")).toBe(sessionSecret);
  });

  it.each([
    ["POST", "POST"],
    ["PUT", "PUT"],
    ["DELETE", "DELETE"],
    ["PATCH", "PATCH"],
    ["patch", "PATCH"],
  ])("answers %s with 405 and Allow, setting no cookie", async (method, named) => {
    const { views } = await world();
    const response = await views.csrf(new Request(`${HTTP}/api/session/csrf/`, { method }));
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toBe(`{"detail":"Method \\"${named}\\" not allowed."}`);
  });
});

describe("sessionHandlers login (POST /api/session/login/)", () => {
  it("answers 403 CSRF cookie not set, before looking at the credentials", async () => {
    const { views, users, store, events } = await world();
    const lookup = vi.spyOn(users, "findByUsername");
    const emitted = vi.fn();
    events.on("loginFailed", emitted);
    events.on("loginSucceeded", emitted);
    const response = await views.login(post("login", { body: CREDENTIALS }));
    expect(response.status).toBe(403);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toBe('{"detail":"CSRF Failed: CSRF cookie not set."}');
    expect(lookup).not.toHaveBeenCalled();
    expect(emitted).not.toHaveBeenCalled();
    expect(store.size).toBe(0);
  });

  const OTHER_SECRET = "Zyxwvutsrqponmlkjihgfedcba987654";
  it.each<[string, (secret: string) => { headers?: Record<string, string>; body?: unknown }, string]>([
    ["no token", () => ({}), "CSRF token missing."],
    [
      "a csrfmiddlewaretoken in JSON (not a form)",
      (s) => ({ body: { ...CREDENTIALS, csrfmiddlewaretoken: s } }),
      "CSRF token missing.",
    ],
    [
      "an empty header",
      () => ({ headers: { "X-CSRFToken": "" } }),
      "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
    ],
    [
      "a short token",
      () => ({ headers: { "X-CSRFToken": "abc" } }),
      "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
    ],
    [
      "a 63-character token",
      (s) => ({ headers: { "X-CSRFToken": maskCsrfSecret(s).slice(1) } }),
      "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
    ],
    [
      "a 65-character token",
      (s) => ({ headers: { "X-CSRFToken": `${maskCsrfSecret(s)}a` } }),
      "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
    ],
    [
      "a 64-character token with '!'",
      (s) => ({ headers: { "X-CSRFToken": `${maskCsrfSecret(s).slice(1)}!` } }),
      "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.",
    ],
    [
      "a 32-character token with '-'",
      (s) => ({ headers: { "X-CSRFToken": `${s.slice(1)}-` } }),
      "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.",
    ],
    [
      "another secret's masked token",
      () => ({ headers: { "X-CSRFToken": maskCsrfSecret(OTHER_SECRET) } }),
      "CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
    ],
    [
      "another secret, unmasked",
      () => ({ headers: { "X-CSRFToken": OTHER_SECRET } }),
      "CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
    ],
  ])("answers 403 for %s", async (_, make, reason) => {
    const { views, store } = await world();
    const browser = new Browser(views);
    await browser.csrf();
    const secret = browser.jar.get("csrftoken")!;
    const { headers, body = CREDENTIALS } = make(secret);
    const response = await read(await views.login(post("login", { cookie: browser.cookie, headers, body })));
    expect(response.status).toBe(403);
    expect(response.text).toBe(JSON.stringify({ detail: `CSRF Failed: ${reason}` }));
    expect(store.size).toBe(0);
  });

  it.each([
    ["csrftoken=abc", "CSRF Failed: CSRF cookie has incorrect length."],
    [`csrftoken=${"a".repeat(31)}-`, "CSRF Failed: CSRF cookie has invalid characters."],
    ["csrftoken=a; csrftoken=b", "CSRF Failed: CSRF cookie not set."],
  ])("answers 403 for the cookie %j", async (cookie, detail) => {
    const { views } = await world();
    const token = maskCsrfSecret("Abcdefghijklmnopqrstuvwxyz012345");
    const response = await views.login(
      post("login", { cookie, headers: { "X-CSRFToken": token }, body: CREDENTIALS }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ detail });
  });

  it("logs in with JSON and X-CSRFToken: 200 {id, username}, the session and rotated CSRF cookies", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    const { views, store, whoIs, ada, events } = await world();
    const succeeded = vi.fn();
    events.on("loginSucceeded", succeeded);
    const browser = new Browser(views);
    const token = await browser.csrf();
    const before = browser.jar.get("csrftoken")!;
    const response = await views.login(
      post("login", { cookie: browser.cookie, headers: { "X-CSRFToken": token }, body: CREDENTIALS }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Vary")).toBe("Cookie");
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    expect(await response.text()).toBe('{"id":"1","username":"ada"}');

    const [sessionLine, csrfLine, ...rest] = response.headers.getSetCookie();
    expect(rest).toEqual([]);
    const id = /^sessionid=([^;]*);/.exec(sessionLine!)?.[1] ?? "";
    const after = /^csrftoken=([^;]*);/.exec(csrfLine!)?.[1] ?? "";
    expect(id).toMatch(SESSION_ID);
    expect(sessionLine).toBe(
      `sessionid=${id}; Max-Age=1209600; Expires=${SESSION_EXPIRES}; Path=/; HttpOnly; SameSite=Lax`,
    );
    expect(after).toMatch(SECRET);
    expect(after).not.toBe(before);
    expect(csrfLine).toBe(
      `csrftoken=${after}; Max-Age=31449600; Expires=${CSRF_EXPIRES}; Path=/; SameSite=Lax`,
    );

    // Stored under the digest only, with both expiries two weeks out.
    expect(store.size).toBe(1);
    const record = await store.get(await tokenDigest(id));
    expect(record).toMatchObject({
      idDigest: await tokenDigest(id),
      userId: ada.id,
      createdAt: new Date(T0),
      expiresAt: new Date(T0 + 14 * 86_400_000),
      absoluteExpiresAt: new Date(T0 + 14 * 86_400_000),
    });
    expect(Object.keys(record!.data)).toEqual([SESSION_AUTH_HASH_KEY]);
    expect(JSON.stringify(record)).not.toContain(id);
    expect(await whoIs(id)).toEqual(ada.user);
    expect(succeeded).toHaveBeenCalledTimes(1);
    expect(succeeded).toHaveBeenCalledWith({
      record: expect.objectContaining({ id: ada.id }),
      via: "sessionLogin",
    });
  });

  it("accepts the unmasked 32-character secret in X-CSRFToken, as Django does", async () => {
    const { views } = await world();
    const browser = new Browser(views);
    await browser.csrf();
    const secret = browser.jar.get("csrftoken")!;
    const response = await views.login(
      post("login", { cookie: browser.cookie, headers: { "X-CSRFToken": secret }, body: CREDENTIALS }),
    );
    expect(response.status).toBe(200);
  });

  it("logs in with an urlencoded form carrying csrfmiddlewaretoken", async () => {
    const { views, whoIs, ada } = await world();
    const browser = new Browser(views);
    const token = await browser.csrf();
    const response = browser.keep(
      await views.login(
        post("login", {
          cookie: browser.cookie,
          headers: FORM,
          body: form({ username: "ada", password: "correct horse", csrfmiddlewaretoken: token }),
        }),
      ),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "1", username: "ada" });
    expect(await whoIs(browser.jar.get("sessionid")!)).toEqual(ada.user);
  });

  it("logs in with a multipart form carrying csrfmiddlewaretoken", async () => {
    const { views } = await world();
    const browser = new Browser(views);
    const body = new FormData();
    body.append("username", "ada");
    body.append("password", "correct horse");
    body.append("csrfmiddlewaretoken", await browser.csrf());
    const response = await views.login(post("login", { cookie: browser.cookie, body }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "1", username: "ada" });
  });

  it("falls back to X-CSRFToken when the form field is empty, and prefers a non-empty form field (Django)", async () => {
    const { views } = await world();
    const browser = new Browser(views);
    const token = await browser.csrf();
    const fallback = await views.login(
      post("login", {
        cookie: browser.cookie,
        headers: { ...FORM, "X-CSRFToken": token },
        body: form({ ...CREDENTIALS, csrfmiddlewaretoken: "" }),
      }),
    );
    expect(fallback.status).toBe(200);
    const wrongField = await views.login(
      post("login", {
        cookie: browser.cookie,
        headers: { ...FORM, "X-CSRFToken": token },
        body: form({
          ...CREDENTIALS,
          csrfmiddlewaretoken: maskCsrfSecret("Zyxwvutsrqponmlkjihgfedcba987654"),
        }),
      }),
    );
    expect(wrongField.status).toBe(403);
    expect(await wrongField.json()).toEqual({ detail: "CSRF Failed: CSRF token from POST incorrect." });
  });

  it.each([
    ["abc", "CSRF Failed: CSRF token from POST has incorrect length."],
    [`${"a".repeat(31)}!`, "CSRF Failed: CSRF token from POST has invalid characters."],
  ])("names the form field as POST when its token %s is malformed (Django 4.1+)", async (field, detail) => {
    const { views } = await world();
    const browser = new Browser(views);
    await browser.csrf();
    const response = await views.login(
      post("login", {
        cookie: browser.cookie,
        headers: FORM,
        body: form({ ...CREDENTIALS, csrfmiddlewaretoken: field }),
      }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ detail });
  });

  it.each([
    ["a wrong password", { username: "ada", password: "hunter2" }],
    ["an unknown user", { username: "nobody", password: "correct horse" }],
    ["an inactive user", { username: "eve", password: "correct horse" }],
  ])("answers DRF's 400 for %s, emitting loginFailed without the password", async (_, credentials) => {
    const { views, events, store } = await world();
    const payloads: unknown[] = [];
    events.on("loginFailed", (payload) => payloads.push(payload));
    events.on("loginSucceeded", (payload) => payloads.push(payload));
    const browser = new Browser(views);
    await browser.csrf();
    const before = browser.jar.get("csrftoken");
    const raw = await browser.login(credentials);
    expect(raw.headers.getSetCookie()).toEqual([]);
    const response = await read(raw);
    expect(response.status).toBe(400);
    expect(response.contentType).toBe("application/json");
    expect(response.allow).toBe("POST, OPTIONS");
    expect(response.text).toBe('{"non_field_errors":["Unable to log in with provided credentials."]}');
    expect(payloads).toEqual([{ username: credentials.username, via: "sessionLogin" }]);
    expect(JSON.stringify(payloads)).not.toContain(credentials.password);
    expect(store.size).toBe(0);
    // No cookie was set or rotated.
    expect([...browser.jar.keys()]).toEqual(["csrftoken"]);
    expect(browser.jar.get("csrftoken")).toBe(before);
  });

  it.each<[unknown, string]>([
    [{}, '{"username":["This field is required."],"password":["This field is required."]}'],
    [{ username: "ada" }, '{"password":["This field is required."]}'],
    [{ password: "correct horse" }, '{"username":["This field is required."]}'],
    [{ username: "", password: "correct horse" }, '{"username":["This field may not be blank."]}'],
    [{ username: "ada", password: null }, '{"password":["This field may not be null."]}'],
    [{ username: ["ada"], password: "x" }, '{"username":["Not a valid string."]}'],
    [null, '{"non_field_errors":["No data provided"]}'],
    [["ada"], '{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}'],
  ])("answers DRF's validation 400 for %j", async (body, text) => {
    const { views, users } = await world();
    const lookup = vi.spyOn(users, "findByUsername");
    const browser = new Browser(views);
    const response = await read(await browser.login(body as object));
    expect(response.status).toBe(400);
    expect(response.text).toBe(text);
    expect(lookup).not.toHaveBeenCalled();
  });

  it("answers the required-field 400 for a form holding only csrfmiddlewaretoken", async () => {
    const { views } = await world();
    const browser = new Browser(views);
    const token = await browser.csrf();
    const response = await views.login(
      post("login", { cookie: browser.cookie, headers: FORM, body: form({ csrfmiddlewaretoken: token }) }),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toBe(
      '{"username":["This field is required."],"password":["This field is required."]}',
    );
  });

  it("ends the old session when logging in again: a new id, and the old cookie is anonymous", async () => {
    const { views, store, whoIs, ada } = await world();
    const browser = new Browser(views);
    expect((await browser.login()).status).toBe(200);
    const s0 = browser.jar.get("sessionid")!;
    const csrf0 = browser.jar.get("csrftoken")!;
    expect((await browser.login()).status).toBe(200);
    const s1 = browser.jar.get("sessionid")!;
    expect(s1).toMatch(SESSION_ID);
    expect(s1).not.toBe(s0);
    expect(browser.jar.get("csrftoken")).not.toBe(csrf0);
    expect(await whoIs(s0)).toBeNull();
    expect(await store.get(await tokenDigest(s0))).toBeNull();
    expect(await whoIs(s1)).toEqual(ada.user);
    expect(store.size).toBe(1);
  });

  it("gives user B a fresh session holding nothing of user A's (security.md §2G 55)", async () => {
    const { views, store, whoIs, ada, bob } = await world();
    const browser = new Browser(views);
    expect((await browser.login()).status).toBe(200);
    const s0 = browser.jar.get("sessionid")!;
    // A's session holds some application data.
    const a = (await store.get(await tokenDigest(s0)))!;
    await store.delete(a.idDigest);
    await store.create({ ...a, data: { ...a.data, cart: ["ada's book"] } });
    expect(await whoIs(s0)).toEqual(ada.user);

    const response = await browser.login({ username: "bob", password: "correct horse" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: bob.id, username: "bob" });
    const s1 = browser.jar.get("sessionid")!;
    expect(s1).not.toBe(s0);
    expect(await whoIs(s0)).toBeNull();
    expect(await whoIs(s1)).toEqual(bob.user);
    const b = (await store.get(await tokenDigest(s1)))!;
    expect(b.userId).toBe(bob.id);
    expect(Object.keys(b.data)).toEqual([SESSION_AUTH_HASH_KEY]);
    expect(b.data[SESSION_AUTH_HASH_KEY]).not.toBe(a.data[SESSION_AUTH_HASH_KEY]);
    expect(JSON.stringify(b)).not.toContain("ada's book");
    expect(store.size).toBe(1);
  });

  it("never adopts a planted, never-issued session id (fixation, strict mode)", async () => {
    const { views, store, whoIs, ada } = await world();
    const browser = new Browser(views);
    const planted = "A".repeat(43);
    browser.jar.set("sessionid", planted);
    expect((await browser.login()).status).toBe(200);
    const issued = browser.jar.get("sessionid")!;
    expect(issued).not.toBe(planted);
    expect(await store.get(await tokenDigest(planted))).toBeNull();
    expect(await whoIs(planted)).toBeNull();
    expect(await whoIs(issued)).toEqual(ada.user);
  });

  it("makes the pre-login CSRF token useless after login (Django's test_login_csrf_rotate)", async () => {
    const { views, auth, ada } = await world();
    const browser = new Browser(views);
    const before = await browser.csrf();
    const beforeSecret = browser.jar.get("csrftoken")!;
    expect((await browser.login()).status).toBe(200);
    const id = browser.jar.get("sessionid")!;
    const afterSecret = browser.jar.get("csrftoken")!;
    const unsafe = (csrftoken: string, token: string) =>
      auth.authenticate(
        makeRequest({
          method: "POST",
          cookies: { sessionid: id, csrftoken },
          headers: { "X-CSRFToken": token },
        }),
      );
    for (const [cookie, token] of [
      [beforeSecret, before],
      [afterSecret, before],
      [beforeSecret, maskCsrfSecret(afterSecret)],
    ] as const) {
      const error = await unsafe(cookie, token).then(
        () => expect.unreachable("the old token must fail"),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PermissionDenied);
      expect(error).toMatchObject({
        status: 403,
        detail: "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
      });
    }
    expect((await unsafe(afterSecret, maskCsrfSecret(afterSecret)))?.user).toEqual(ada.user);
  });

  it.each([
    [
      "http://evil.example",
      "Origin checking failed - http://evil.example does not match any trusted origins.",
    ],
    [
      "http://testserver.evil.example",
      "Origin checking failed - http://testserver.evil.example does not match any trusted origins.",
    ],
    ["https://testserver", "Origin checking failed - https://testserver does not match any trusted origins."],
    ["null", "Origin checking failed - null does not match any trusted origins."],
  ])("answers 403 for Origin %s", async (origin, reason) => {
    const { views, store } = await world();
    const browser = new Browser(views);
    const response = await browser.login(CREDENTIALS, { Origin: origin });
    expect(response.status).toBe(403);
    expect(await response.text()).toBe(JSON.stringify({ detail: `CSRF Failed: ${reason}` }));
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(store.size).toBe(0);
  });

  it("refuses Sec-Fetch-Site: cross-site even without an Origin", async () => {
    const { views } = await world();
    const response = await new Browser(views).login(CREDENTIALS, { "Sec-Fetch-Site": "cross-site" });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      detail: "CSRF Failed: Sec-Fetch-Site checking failed - cross-site request.",
    });
  });

  it("accepts its own Origin, and a trusted one given to sessionHandlers", async () => {
    const ctx = await world();
    const own = await new Browser(ctx.views).login(CREDENTIALS, {
      Origin: HTTP,
      "Sec-Fetch-Site": "same-origin",
    });
    expect(own.status).toBe(200);
    const views = sessionHandlers({
      sessions: ctx.sessions,
      passwords,
      csrf: { trustedOrigins: ["http://app.example"] },
    });
    const trusted = await new Browser(views).login(CREDENTIALS, { Origin: "http://app.example" });
    expect(trusted.status).toBe(200);
    // The manager's own policy does not trust it.
    const untrusted = await new Browser(ctx.views).login(CREDENTIALS, { Origin: "http://app.example" });
    expect(untrusted.status).toBe(403);
  });

  it.each([
    ["GET", "GET"],
    ["PUT", "PUT"],
    ["DELETE", "DELETE"],
    ["patch", "PATCH"],
  ])("answers %s with 405 and Allow: POST, OPTIONS", async (method, named) => {
    const { views } = await world();
    const response = await read(await views.login(new Request(`${HTTP}/api/session/login/`, { method })));
    expect(response.status).toBe(405);
    expect(response.allow).toBe("POST, OPTIONS");
    expect(response.text).toBe(`{"detail":"Method \\"${named}\\" not allowed."}`);
  });

  it("answers OPTIONS with 200 {} and Allow", async () => {
    const { views } = await world();
    const response = await read(
      await views.login(new Request(`${HTTP}/api/session/login/`, { method: "OPTIONS" })),
    );
    expect([response.status, response.text, response.allow]).toEqual([200, "{}", "POST, OPTIONS"]);
  });

  it("answers 413 for a body over 64 KiB", async () => {
    const { views, store } = await world();
    const browser = new Browser(views);
    const token = await browser.csrf();
    const response = await read(
      await views.login(
        post("login", {
          cookie: browser.cookie,
          headers: { "X-CSRFToken": token },
          body: { ...CREDENTIALS, padding: "x".repeat(70_000) },
        }),
      ),
    );
    expect(response.status).toBe(413);
    expect(response.text).toBe('{"detail":"Request body exceeds 65536 bytes."}');
    expect(store.size).toBe(0);
  });

  it("answers 415 for an unsupported media type", async () => {
    const { views } = await world();
    const browser = new Browser(views);
    const token = await browser.csrf();
    const response = await read(
      await views.login(
        post("login", {
          cookie: browser.cookie,
          headers: { "X-CSRFToken": token, "Content-Type": "text/plain" },
          body: "username=ada&password=correct horse",
        }),
      ),
    );
    expect(response.status).toBe(415);
    expect(response.text).toBe('{"detail":"Unsupported media type \\"text/plain\\" in request."}');
  });
});

describe("sessionHandlers logout (POST /api/session/logout/)", () => {
  async function loggedIn(username = "ada") {
    const ctx = await world();
    const browser = new Browser(ctx.views);
    expect((await browser.login({ username, password: "correct horse" })).status).toBe(200);
    return { ...ctx, browser, id: browser.jar.get("sessionid")! };
  }

  it("ends the session with a CSRF token: 204, the cookie cleared, the old cookie anonymous", async () => {
    const { browser, views, store, auth, id, whoIs } = await loggedIn();
    const token = await browser.csrf();
    const secret = browser.jar.get("csrftoken")!;
    const response = await views.logout(
      post("logout", { cookie: browser.cookie, headers: { "X-CSRFToken": token } }),
    );
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect(response.headers.get("Content-Type")).toBeNull();
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Vary")).toBe("Cookie");
    expect(response.headers.getSetCookie()).toEqual([
      `sessionid=; Max-Age=0; Expires=${EPOCH}; Path=/; HttpOnly; SameSite=Lax`,
    ]);
    expect(store.size).toBe(0);
    // Replaying the old cookie: anonymous on GET, and on POST with a matching CSRF pair (not a 403).
    expect(await whoIs(id)).toBeNull();
    expect(
      await auth.authenticate(
        makeRequest({
          method: "POST",
          cookies: { sessionid: id, csrftoken: secret },
          headers: { "X-CSRFToken": token },
        }),
      ),
    ).toBeNull();
  });

  it("answers 403 CSRF token missing without a token, and the session lives on", async () => {
    const { browser, views, store, id, whoIs, ada } = await loggedIn();
    const response = await views.logout(post("logout", { cookie: browser.cookie }));
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('{"detail":"CSRF Failed: CSRF token missing."}');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(store.size).toBe(1);
    expect(await whoIs(id)).toEqual(ada.user);
  });

  it("answers 403 CSRF cookie not set with the session cookie alone", async () => {
    const { views, id, whoIs, ada } = await loggedIn();
    const response = await views.logout(
      post("logout", { cookie: `sessionid=${id}`, headers: { "X-CSRFToken": "a".repeat(64) } }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ detail: "CSRF Failed: CSRF cookie not set." });
    expect(await whoIs(id)).toEqual(ada.user);
  });

  it("refuses another session's token (security.md §2G 59)", async () => {
    const { views, browser: ada, id, whoIs, store } = await loggedIn("ada");
    const bob = new Browser(views);
    expect((await bob.login({ username: "bob", password: "correct horse" })).status).toBe(200);
    const adaSecret = ada.jar.get("csrftoken")!;
    const bobSecret = bob.jar.get("csrftoken")!;
    const bobToken = await bob.csrf();
    for (const csrftoken of [bobSecret, adaSecret]) {
      const response = await views.logout(
        post("logout", {
          cookie: `sessionid=${id}; csrftoken=${csrftoken}`,
          headers: { "X-CSRFToken": bobToken },
        }),
      );
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        detail: "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
      });
    }
    expect(await whoIs(id)).not.toBeNull();
    expect(store.size).toBe(2);
  });

  it("accepts the csrfmiddlewaretoken form field", async () => {
    const { browser, views, store } = await loggedIn();
    const token = await browser.csrf();
    const response = await views.logout(
      post("logout", { cookie: browser.cookie, headers: FORM, body: form({ csrfmiddlewaretoken: token }) }),
    );
    expect(response.status).toBe(204);
    expect(store.size).toBe(0);
  });

  it("answers 403 for a foreign Origin, and the session lives on", async () => {
    const { browser, store } = await loggedIn();
    const response = await browser.logout({ Origin: "http://evil.example" });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      detail: "CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins.",
    });
    expect(store.size).toBe(1);
  });

  it("answers 204 with the clearing cookie without a session, or with a malformed session cookie", async () => {
    const { views } = await world();
    for (const session of ["", "sessionid=a b; ", "sessionid=x; sessionid=y; "]) {
      const browser = new Browser(views);
      const token = await browser.csrf();
      const response = await views.logout(
        post("logout", { cookie: `${session}${browser.cookie}`, headers: { "X-CSRFToken": token } }),
      );
      expect(response.status).toBe(204);
      expect(response.headers.getSetCookie()).toEqual([
        `sessionid=; Max-Age=0; Expires=${EPOCH}; Path=/; HttpOnly; SameSite=Lax`,
      ]);
    }
  });

  // The same session cookie twice (e.g. host-only and Domain=testserver): Django ends the session it reads
  // (the last value); here the 204 must not leave it alive server-side (security.md §1D 44).
  it("ends the session when its cookie is sent twice", async () => {
    const { browser, views, store, id, whoIs } = await loggedIn();
    const token = await browser.csrf();
    const response = await views.logout(
      post("logout", { cookie: `sessionid=${id}; ${browser.cookie}`, headers: { "X-CSRFToken": token } }),
    );
    expect(response.status).toBe(204);
    expect(await whoIs(id)).toBeNull();
    expect(store.size).toBe(0);
  });

  it("ends only the session it was sent with", async () => {
    const { views, browser, id, whoIs, ada } = await loggedIn();
    const other = new Browser(views);
    expect((await other.login()).status).toBe(200);
    expect((await other.logout()).status).toBe(204);
    expect(await whoIs(other.jar.get("sessionid") ?? "")).toBeNull();
    expect(other.jar.has("sessionid")).toBe(false);
    expect(await whoIs(id)).toEqual(ada.user);
    expect(browser.jar.get("sessionid")).toBe(id);
  });

  it.each(["GET", "PUT"])("answers %s with 405, leaving the session alone", async (method) => {
    const { browser, views, store } = await loggedIn();
    const response = await views.logout(
      new Request(`${HTTP}/api/session/logout/`, { method, headers: { Cookie: browser.cookie } }),
    );
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    expect(store.size).toBe(1);
  });
});

describe("sessionHandlers with the default secure manager (https, __Host-sessionid)", () => {
  it("logs in over https with a same-origin Referer, sets __Host-sessionid, and logs out with Origin", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    const { views, sessions, whoIs, ada, store } = await world({ secure: true });
    expect(sessions.cookieName).toBe("__Host-sessionid");
    const browser = new Browser(views, HTTPS);
    const token = await browser.csrf();
    const csrfSecret = browser.jar.get("csrftoken")!;
    expect(unmaskCsrfToken(token)).toBe(csrfSecret);

    const login = await views.login(
      post("login", {
        base: HTTPS,
        cookie: browser.cookie,
        headers: { "X-CSRFToken": token, Referer: `${HTTPS}/login` },
        body: CREDENTIALS,
      }),
    );
    expect(login.status).toBe(200);
    const lines = login.headers.getSetCookie();
    const id = /^__Host-sessionid=([^;]*);/.exec(lines[0] ?? "")?.[1] ?? "";
    const rotated = /^csrftoken=([^;]*);/.exec(lines[1] ?? "")?.[1] ?? "";
    expect(id).toMatch(SESSION_ID);
    expect(lines).toEqual([
      `__Host-sessionid=${id}; Max-Age=1209600; Expires=${SESSION_EXPIRES}; Path=/; HttpOnly; Secure; SameSite=Lax`,
      `csrftoken=${rotated}; Max-Age=31449600; Expires=${CSRF_EXPIRES}; Path=/; Secure; SameSite=Lax`,
    ]);
    expect(rotated).not.toBe(csrfSecret);
    browser.keep(login);
    expect(await whoIs(id)).toEqual(ada.user);
    // The plain name means nothing to a secure manager.
    expect(
      await new SessionAuthentication({ sessions }).authenticate(
        makeRequest({ url: `${HTTPS}/`, cookies: { sessionid: id } }),
      ),
    ).toBeNull();

    const logout = await browser.logout({ Origin: HTTPS });
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie()).toEqual([
      `__Host-sessionid=; Max-Age=0; Expires=${EPOCH}; Path=/; HttpOnly; Secure; SameSite=Lax`,
    ]);
    expect(store.size).toBe(0);
    expect(await whoIs(id)).toBeNull();
  });

  it("sets a Secure csrftoken cookie", async () => {
    const { views } = await world({ secure: true });
    const response = await views.csrf(new Request(`${HTTPS}/api/session/csrf/`));
    expect(response.headers.getSetCookie()[0]).toMatch(
      /^csrftoken=[a-zA-Z0-9]{32}; Max-Age=31449600; Expires=[^;]+ GMT; Path=\/; Secure; SameSite=Lax$/,
    );
  });

  it.each<[Record<string, string>, string]>([
    [{}, "Referer checking failed - no Referer."],
    [
      { Referer: "http://testserver/login" },
      "Referer checking failed - Referer is insecure while host is secure.",
    ],
    [
      { Referer: "https://evil.example/login" },
      "Referer checking failed - https://evil.example/login does not match any trusted origins.",
    ],
    [
      { Referer: "https://testserver.evil.example/" },
      "Referer checking failed - https://testserver.evil.example/ does not match any trusted origins.",
    ],
    [{ Referer: "not a url" }, "Referer checking failed - Referer is malformed."],
    [
      { Origin: "http://testserver" },
      "Origin checking failed - http://testserver does not match any trusted origins.",
    ],
  ])("answers 403 over https for %j", async (headers, reason) => {
    const { views, store } = await world({ secure: true });
    const response = await new Browser(views, HTTPS).login(CREDENTIALS, headers);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ detail: `CSRF Failed: ${reason}` });
    expect(store.size).toBe(0);
  });
});
