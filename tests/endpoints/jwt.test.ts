import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { createJWTHandlers, type JWTHandlers, type JWTHandlersOptions } from "../../src/endpoints/jwt.js";
import { type AuthEventMap, AuthEvents, type EndpointHandler, hashPassword } from "../../src/index.js";
import { JWTService } from "../../src/jwt/service.js";
import type { JWTSettings } from "../../src/jwt/settings.js";
import { MemoryRevocationStore, MemoryUserStore } from "../../src/stores/memory.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const passwords = { iterations: 1000 };
const URL_BASE = "https://api.example.com/api/token/";
const CHALLENGE = 'Bearer realm="api"';
const CREDENTIALS = { username: "ada", password: "correct horse" };
const T0 = 1_800_000_000;

type Body = Record<string, unknown>;

/** Users ada (active) and eve (inactive), password "correct horse"; a service with both stores. */
async function setup(settings: Partial<JWTSettings> = {}) {
  const users = new MemoryUserStore();
  const revocations = new MemoryRevocationStore();
  const hash = () => hashPassword("correct horse", passwords);
  const ada = await users.create({ username: "ada", passwordHash: await hash() });
  const eve = await users.create({ username: "eve", passwordHash: await hash(), isActive: false });
  const events = new AuthEvents();
  const jwt = new JWTService({ signingKey: SECRET, users, revocations, ...settings });
  const api = createJWTHandlers(jwt, { events, passwords });
  return { users, revocations, events, jwt, api, ada, eve };
}

function post(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(URL_BASE, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function postForm(fields: Record<string, string>): Request {
  return new Request(URL_BASE, { method: "POST", body: new URLSearchParams(fields) });
}

function postMultipart(fields: Record<string, string>): Request {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return new Request(URL_BASE, { method: "POST", body: form });
}

async function read(response: Response) {
  const text = await response.text();
  return {
    status: response.status,
    body: (text === "" ? undefined : JSON.parse(text)) as Body,
    text,
    contentType: response.headers.get("Content-Type"),
    cacheControl: response.headers.get("Cache-Control"),
    challenge: response.headers.get("WWW-Authenticate"),
    allow: response.headers.get("Allow"),
  };
}

/** Asserts a 401 with exactly `body` and simplejwt's challenge. */
async function expect401(response: Response, body: Body) {
  const answer = await read(response);
  expect(answer).toMatchObject({ status: 401, challenge: CHALLENGE, contentType: "application/json" });
  expect(answer.body).toEqual(body);
  expect(answer.text).toBe(JSON.stringify(body));
}

const invalid = (detail: string) => ({ detail, code: "token_not_valid" });

async function pairFor(api: JWTHandlers) {
  const { body } = await read(await api.obtainPair(post(CREDENTIALS)));
  return body as { refresh: string; access: string };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("obtainPair (TokenObtainPairView)", () => {
  it("answers 200 {refresh, access} in that order, JSON, no-store, Allow", async () => {
    const { api, jwt, ada } = await setup();
    const answer = await read(await api.obtainPair(post(CREDENTIALS)));
    expect(answer).toMatchObject({
      status: 200,
      contentType: "application/json",
      cacheControl: "no-store",
      allow: "POST, OPTIONS",
      challenge: null,
    });
    expect(Object.keys(answer.body)).toEqual(["refresh", "access"]);
    const { refresh, access } = answer.body as { refresh: string; access: string };
    expect(await jwt.validate(access, "access")).toMatchObject({ token_type: "access", user_id: ada.id });
    expect(await jwt.validate(refresh, "refresh")).toMatchObject({ token_type: "refresh", user_id: ada.id });
  });

  it.each([
    ["urlencoded", postForm(CREDENTIALS)],
    ["multipart", postMultipart(CREDENTIALS)],
  ])("accepts a %s body", async (_, request) => {
    const { api, jwt } = await setup();
    const answer = await read(await api.obtainPair(request));
    expect(answer.status).toBe(200);
    expect(await jwt.validate((answer.body as { access: string }).access, "access")).toBeTruthy();
  });

  it.each([
    ["a wrong password", { username: "ada", password: "wrong horse" }],
    ["an unknown user", { username: "mallory", password: "correct horse" }],
    ["an inactive user", { username: "eve", password: "correct horse" }],
    ["a password with surrounding spaces (never trimmed)", { username: "ada", password: " correct horse " }],
  ])("answers %s with simplejwt's 401, detail only", async (_, credentials) => {
    const { api } = await setup();
    await expect401(await api.obtainPair(post(credentials)), {
      detail: "No active account found with the given credentials",
    });
  });

  it("trims the username, as DRF's CharField", async () => {
    const { api } = await setup();
    expect((await api.obtainPair(post({ username: " ada\t", password: "correct horse" }))).status).toBe(200);
  });

  it.each([
    [{}, { username: ["This field is required."], password: ["This field is required."] }],
    [{ username: "", password: "x" }, { username: ["This field may not be blank."] }],
    [{ username: "ada", password: null }, { password: ["This field may not be null."] }],
    [
      { username: ["ada"], password: true },
      { username: ["Not a valid string."], password: ["Not a valid string."] },
    ],
  ])("answers field errors %j with 400 %j", async (input, errors) => {
    const { api } = await setup();
    const answer = await read(await api.obtainPair(post(input)));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(errors);
    expect(answer.challenge).toBeNull();
  });

  it("emits loginSucceeded and loginFailed with via, never a password or token", async () => {
    const { api, events, ada } = await setup();
    const payloads: unknown[] = [];
    const succeeded = vi.fn((payload: AuthEventMap["loginSucceeded"]) => payloads.push(payload));
    const failed = vi.fn((payload: AuthEventMap["loginFailed"]) => payloads.push(payload));
    events.on("loginSucceeded", succeeded);
    events.on("loginFailed", failed);
    const { refresh, access } = await pairFor(api);
    await api.obtainPair(post({ username: "ada", password: "wrong horse" }));
    expect(succeeded).toHaveBeenCalledWith({ record: ada, via: "obtainPair" });
    expect(failed).toHaveBeenCalledWith({ username: "ada", via: "obtainPair" });
    const serialised = JSON.stringify(payloads);
    for (const secret of ["correct horse", "wrong horse", refresh, access]) {
      expect(serialised).not.toContain(secret);
    }
  });

  it("emits nothing for field errors", async () => {
    const { api, events } = await setup();
    const listener = vi.fn();
    events.on("loginSucceeded", listener);
    events.on("loginFailed", listener);
    await api.obtainPair(post({ username: "ada" }));
    expect(listener).not.toHaveBeenCalled();
  });
});

describe("refresh (TokenRefreshView)", () => {
  it("answers 200 {access} without rotation, and the access token works", async () => {
    const { api, jwt, ada } = await setup();
    const { refresh } = await pairFor(api);
    const answer = await read(await api.refresh(post({ refresh })));
    expect(answer).toMatchObject({ status: 200, cacheControl: "no-store", allow: "POST, OPTIONS" });
    expect(Object.keys(answer.body)).toEqual(["access"]);
    expect(await jwt.validate(answer.body.access as string, "access")).toMatchObject({ user_id: ada.id });
  });

  it("answers 200 {access, refresh} when rotating; the old refresh token is then refused", async () => {
    const { api, jwt } = await setup({ rotateRefreshTokens: true, blacklistAfterRotation: true });
    const { refresh } = await pairFor(api);
    const answer = await read(await api.refresh(post({ refresh })));
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body)).toEqual(["access", "refresh"]);
    const next = answer.body as { access: string; refresh: string };
    expect(next.refresh).not.toBe(refresh);
    expect(await jwt.validate(next.access, "access")).toBeTruthy();
    await expect401(await api.refresh(post({ refresh })), invalid("Token is blacklisted"));
  });

  it("takes a form-encoded body", async () => {
    const { api } = await setup();
    const { refresh } = await pairFor(api);
    expect((await api.refresh(postForm({ refresh }))).status).toBe(200);
  });

  it.each([
    ["garbage", () => "not.a.token", "Token is invalid"],
    ["a token signed with another key", () => "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", "Token is invalid"],
  ])("answers %s with 401 token_not_valid", async (_, token, detail) => {
    const { api } = await setup();
    await expect401(await api.refresh(post({ refresh: token() })), invalid(detail));
  });

  it("answers an access token with 401 'Token has wrong type'", async () => {
    const { api } = await setup();
    const { access } = await pairFor(api);
    await expect401(await api.refresh(post({ refresh: access })), invalid("Token has wrong type"));
  });

  it("answers an expired refresh token with 401 'Token is expired'", async () => {
    vi.useFakeTimers({ now: T0 * 1000, toFake: ["Date"] });
    const { api } = await setup();
    const { refresh } = await pairFor(api);
    vi.setSystemTime((T0 + 86_400) * 1000);
    await expect401(await api.refresh(post({ refresh })), invalid("Token is expired"));
  });

  it("answers a refresh for a user gone inactive with DRF's AuthenticationFailed body (no code)", async () => {
    const { api, users, ada } = await setup();
    const { refresh } = await pairFor(api);
    vi.spyOn(users, "findById").mockResolvedValue({ ...ada, isActive: false });
    await expect401(await api.refresh(post({ refresh })), {
      detail: "No active account found for the given token.",
    });
  });

  it.each([
    [{}, { refresh: ["This field is required."] }],
    [{ refresh: "" }, { refresh: ["This field may not be blank."] }],
    [{ refresh: null }, { refresh: ["This field may not be null."] }],
    [{ refresh: {} }, { refresh: ["Not a valid string."] }],
  ])("answers %j with 400 %j", async (input, errors) => {
    const { api } = await setup();
    const answer = await read(await api.refresh(post(input)));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(errors);
  });
});

describe("verify (TokenVerifyView)", () => {
  it("answers 200 {} for any token type, without no-store (nothing secret in it)", async () => {
    const { api, jwt, ada } = await setup();
    const { refresh, access } = await pairFor(api);
    const sliding = await jwt.obtainSliding(ada);
    for (const token of [refresh, access, sliding]) {
      const answer = await read(await api.verify(post({ token })));
      expect(answer).toMatchObject({ status: 200, text: "{}", cacheControl: null, allow: "POST, OPTIONS" });
    }
  });

  it("answers a blacklisted refresh token with 400 non_field_errors (DESIGN §6)", async () => {
    const { api } = await setup();
    const { refresh } = await pairFor(api);
    expect((await api.blacklist(post({ refresh }))).status).toBe(200);
    const answer = await read(await api.verify(post({ token: refresh })));
    expect(answer).toMatchObject({ status: 400, challenge: null });
    expect(answer.text).toBe(JSON.stringify({ non_field_errors: ["Token is blacklisted"] }));
  });

  it("answers an invalid token with 401 token_not_valid", async () => {
    const { api } = await setup();
    await expect401(await api.verify(post({ token: "x.y.z" })), invalid("Token is invalid"));
  });

  it("reads the token from the `token` field", async () => {
    const { api } = await setup();
    const answer = await read(await api.verify(post({ refresh: "x" })));
    expect(answer.body).toEqual({ token: ["This field is required."] });
  });
});

describe("blacklist (TokenBlacklistView)", () => {
  it("answers 200 {}; the token is then refused by refresh and by blacklist", async () => {
    const { api } = await setup();
    const { refresh } = await pairFor(api);
    const answer = await read(await api.blacklist(postForm({ refresh })));
    expect(answer).toMatchObject({ status: 200, text: "{}" });
    await expect401(await api.refresh(post({ refresh })), invalid("Token is blacklisted"));
    await expect401(await api.blacklist(post({ refresh })), invalid("Token is blacklisted"));
  });

  it("refuses an access token with 401 'Token has wrong type'", async () => {
    const { api } = await setup();
    const { access } = await pairFor(api);
    await expect401(await api.blacklist(post({ refresh: access })), invalid("Token has wrong type"));
  });

  it("rejects (a server error) on a service without a revocation store; the others still work", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: await hashPassword("correct horse", passwords) });
    const jwt = new JWTService({ signingKey: SECRET, users });
    const api = createJWTHandlers(jwt, { passwords });
    const { refresh } = await pairFor(api);
    expect((await api.refresh(post({ refresh }))).status).toBe(200);
    expect((await api.verify(post({ token: refresh }))).status).toBe(200);
    await expect(api.blacklist(post({ refresh }))).rejects.toThrow(TypeError);
    await expect(api.blacklist(post({ refresh }))).rejects.toThrow(/revocations/);
  });
});

describe("sliding tokens (TokenObtainSlidingView, TokenRefreshSlidingView)", () => {
  it("round-trips: obtain {token}, refresh {token} with a later exp and the same jti", async () => {
    vi.useFakeTimers({ now: T0 * 1000, toFake: ["Date"] });
    const { api, jwt, ada, events } = await setup();
    const succeeded = vi.fn();
    events.on("loginSucceeded", succeeded);
    const obtained = await read(await api.obtainSliding(post(CREDENTIALS)));
    expect(obtained).toMatchObject({ status: 200, cacheControl: "no-store" });
    expect(Object.keys(obtained.body)).toEqual(["token"]);
    expect(succeeded).toHaveBeenCalledWith({ record: ada, via: "obtainSliding" });
    const first = await jwt.validate(obtained.body.token as string, "sliding");
    expect(first).toMatchObject({ user_id: ada.id, exp: T0 + 300, refresh_exp: T0 + 86_400 });

    vi.setSystemTime((T0 + 120) * 1000);
    const refreshed = await read(await api.refreshSliding(post({ token: obtained.body.token })));
    expect(refreshed).toMatchObject({ status: 200, cacheControl: "no-store" });
    expect(Object.keys(refreshed.body)).toEqual(["token"]);
    const second = await jwt.validate(refreshed.body.token as string, "sliding");
    expect(second.exp).toBe(T0 + 420);
    expect(second.jti).toBe(first.jti);
  });

  it("refuses bad credentials with the obtain 401", async () => {
    const { api } = await setup();
    await expect401(await api.obtainSliding(postForm({ username: "eve", password: "correct horse" })), {
      detail: "No active account found with the given credentials",
    });
  });

  it("refuses a refresh token, and a sliding token past refresh_exp, with 401 token_not_valid", async () => {
    vi.useFakeTimers({ now: T0 * 1000, toFake: ["Date"] });
    const { api, jwt, ada } = await setup({ slidingTokenLifetime: "2d" });
    const { refresh } = await pairFor(api);
    await expect401(await api.refreshSliding(post({ token: refresh })), invalid("Token has wrong type"));
    const sliding = await jwt.obtainSliding(ada);
    vi.setSystemTime((T0 + 86_400) * 1000);
    await expect401(
      await api.refreshSliding(post({ token: sliding })),
      invalid("Token 'refresh_exp' claim has expired"),
    );
  });

  it("reads the token from the `token` field", async () => {
    const { api } = await setup();
    expect((await read(await api.refreshSliding(post({})))).body).toEqual({
      token: ["This field is required."],
    });
  });
});

const NAMES = ["obtainPair", "refresh", "verify", "blacklist", "obtainSliding", "refreshSliding"] as const;

describe("methods and bodies, every handler", () => {
  it.each(NAMES)("%s: GET → 405 with DRF's body and Allow", async (name) => {
    const { api } = await setup();
    const answer = await read(await api[name](new Request(URL_BASE)));
    expect(answer).toMatchObject({ status: 405, allow: "POST, OPTIONS", challenge: null });
    expect(answer.text).toBe(JSON.stringify({ detail: 'Method "GET" not allowed.' }));
  });

  it.each(NAMES)("%s: OPTIONS → 200 {}", async (name) => {
    const { api } = await setup();
    const answer = await read(await api[name](new Request(URL_BASE, { method: "OPTIONS" })));
    expect(answer).toMatchObject({ status: 200, text: "{}", allow: "POST, OPTIONS" });
  });

  it.each(NAMES)("%s: text/plain → 415", async (name) => {
    const { api } = await setup();
    const answer = await read(await api[name](post("refresh=x", { "Content-Type": "text/plain" })));
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
  });

  it.each(NAMES)("%s: over 64 KiB → 413", async (name) => {
    const { api } = await setup();
    const answer = await read(await api[name](post({ token: "x".repeat(70_000) })));
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ detail: "Request body exceeds 65536 bytes." });
  });

  it.each(NAMES)("%s: malformed JSON → 400 JSON parse error", async (name) => {
    const { api } = await setup();
    const answer = await read(await api[name](post("{")));
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toMatch(/^JSON parse error - /);
  });

  it.each(NAMES)("%s: a JSON list → 400 non_field_errors", async (name) => {
    const { api } = await setup();
    const answer = await read(await api[name](post([])));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ non_field_errors: ["Invalid data. Expected a dictionary, but got list."] });
  });

  it("an empty body is no data: every field required", async () => {
    const { api } = await setup();
    const answer = await read(await api.refresh(new Request(URL_BASE, { method: "POST" })));
    expect(answer.body).toEqual({ refresh: ["This field is required."] });
  });
});

describe("errors that are not the client's", () => {
  it("obtainPair rejects when the user store is down, emitting nothing", async () => {
    const { api, users, events } = await setup();
    const listener = vi.fn();
    events.on("loginFailed", listener);
    vi.spyOn(users, "findByUsername").mockRejectedValue(new Error("db down"));
    await expect(api.obtainPair(post(CREDENTIALS))).rejects.toThrow("db down");
    expect(listener).not.toHaveBeenCalled();
  });

  it("refresh, verify and blacklist reject when the revocation store is down", async () => {
    const { api, revocations } = await setup();
    const { refresh } = await pairFor(api);
    vi.spyOn(revocations, "isRevoked").mockRejectedValue(new Error("redis down"));
    await expect(api.refresh(post({ refresh }))).rejects.toThrow("redis down");
    await expect(api.verify(post({ token: refresh }))).rejects.toThrow("redis down");
    await expect(api.blacklist(post({ refresh }))).rejects.toThrow("redis down");
  });

  it("obtainPair rejects when recording the outstanding token fails", async () => {
    const { api, revocations } = await setup();
    vi.spyOn(revocations, "recordOutstanding").mockRejectedValue(new Error("disk full"));
    await expect(api.obtainPair(post(CREDENTIALS))).rejects.toThrow("disk full");
  });
});

describe("construction", () => {
  it("uses the first authHeaderTypes entry in the challenge", async () => {
    const { api } = await setup({ authHeaderTypes: ["JWT", "Bearer"] });
    const answer = await read(await api.refresh(post({ refresh: "x" })));
    expect(answer.challenge).toBe('JWT realm="api"');
  });

  it("needs a service with users, takes no users of its own, and leaves the options object alone", async () => {
    const bare = new JWTService({ signingKey: SECRET });
    expect(() => createJWTHandlers(bare, { passwords })).toThrow(
      new TypeError("createJWTHandlers needs a JWTService with `users`: new JWTService({ ..., users })."),
    );
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: await hashPassword("correct horse", passwords) });
    const jwt = new JWTService({ signingKey: SECRET, users });
    const twice = { users, passwords } as Parameters<typeof createJWTHandlers>[1];
    expect(() => createJWTHandlers(jwt, twice)).toThrow(
      new TypeError(
        "createJWTHandlers takes `users` from its JWTService: give it to new JWTService({ ..., users }) instead.",
      ),
    );
    const options = Object.freeze({ passwords });
    expect((await createJWTHandlers(jwt, options).obtainPair(post(CREDENTIALS))).status).toBe(200);
    // The obtain views and refresh read one store: the service's.
    const findByUsername = vi.spyOn(users, "findByUsername");
    const findById = vi.spyOn(users, "findById");
    const api = createJWTHandlers(jwt, { passwords });
    const { refresh } = (await (await api.obtainPair(post(CREDENTIALS))).json()) as { refresh: string };
    expect((await api.refresh(post({ refresh }))).status).toBe(200);
    expect(findByUsername).toHaveBeenCalledExactlyOnceWith("ada");
    expect(findById).toHaveBeenCalledExactlyOnceWith("1");
  });

  it("is the one way to build the views (no JWTService.handlers), typed", async () => {
    const root = await import("../../src/index.js");
    expect(root.createJWTHandlers).toBe(createJWTHandlers);
    expect("handlers" in JWTService.prototype).toBe(false);
    const jwt = new JWTService({ signingKey: SECRET, users: new MemoryUserStore() });
    expectTypeOf(createJWTHandlers(jwt)).toEqualTypeOf<JWTHandlers>();
    expectTypeOf(createJWTHandlers(jwt).obtainPair).toEqualTypeOf<EndpointHandler>();
    expectTypeOf<keyof JWTHandlersOptions>().toEqualTypeOf<"events" | "passwords" | "lockout">();
  });
});

describe("updateLastLogin (simplejwt's UPDATE_LAST_LOGIN)", () => {
  it("records the login time on obtain, and only with the setting", async () => {
    const {
      createJWTHandlers: handlers,
      hashPassword: hash,
      JWTService: Service,
      MemoryUserStore: Users,
    } = await import("../../src/index.js");
    vi.useFakeTimers({ now: new Date("2026-11-28T12:00:00Z"), toFake: ["Date"] });
    try {
      const users = new Users();
      await users.create({ username: "ada", passwordHash: await hash("pw", { iterations: 1000 }) });
      const body = JSON.stringify({ username: "ada", password: "pw" });
      const post = () =>
        new Request("http://testserver/api/token/", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body,
        });
      const off = handlers(new Service({ signingKey: "k".repeat(32), users }), {
        passwords: { iterations: 1000 },
      });
      expect((await off.obtainPair(post())).status).toBe(200);
      expect((await users.findByUsername("ada"))?.lastLogin).toBeUndefined();
      const on = handlers(new Service({ signingKey: "k".repeat(32), users, updateLastLogin: true }), {
        passwords: { iterations: 1000 },
      });
      expect((await on.obtainSliding(post())).status).toBe(200);
      expect((await users.findByUsername("ada"))?.lastLogin).toEqual(new Date("2026-11-28T12:00:00Z"));
      const readOnly = {
        findByUsername: users.findByUsername.bind(users),
        findById: users.findById.bind(users),
        setPasswordHash: users.setPasswordHash.bind(users),
      };
      expect(() =>
        handlers(new Service({ signingKey: "k".repeat(32), updateLastLogin: true, users: readOnly })),
      ).toThrow(
        new TypeError(
          "updateLastLogin needs a UserStore with `updateLastLogin` as the JWTService's `users`.",
        ),
      );
    } finally {
      vi.useRealTimers();
    }
  });
});
