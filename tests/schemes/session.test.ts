import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AuthenticationFailed,
  authenticate,
  BasicAuthentication,
  MemorySessionStore,
  MemoryUserStore,
  PermissionDenied,
  SchemeError,
  SessionAuthentication,
  type SessionAuthenticationOptions,
  SessionManager,
  type SessionStore,
  toResponse,
} from "../../src/index.js";
import { basicAuthHeader, checkSchemeContract, makeRequest } from "../../src/testing/index.js";

type User = { id: string; username: string };

async function setup(
  options: { store?: SessionStore; csrf?: SessionAuthenticationOptions<User>["csrf"] } = {},
) {
  const users = new MemoryUserStore();
  const ada = await users.create({ username: "ada", passwordHash: null });
  const bob = await users.create({ username: "bob", passwordHash: null });
  const store = options.store ?? new MemorySessionStore();
  const sessions = new SessionManager<User>({ store, users, secure: false });
  const auth = new SessionAuthentication({ sessions, ...(options.csrf ? { csrf: options.csrf } : {}) });
  const login = async (user = ada) => {
    const { headers, session } = await sessions.login(makeRequest(), user);
    const cookies = Object.fromEntries(
      headers.getSetCookie().map((line) => line.split(";", 1)[0]!.split("=") as [string, string]),
    );
    return {
      session,
      id: cookies.sessionid!,
      secret: cookies.csrftoken!,
      cookie: `sessionid=${cookies.sessionid}; csrftoken=${cookies.csrftoken}`,
    };
  };
  return { users, store, sessions, auth, ada, bob, login };
}

const request = (method: string, headers: Record<string, string>) =>
  makeRequest({ method, url: "http://testserver/api/notes/", headers });

afterEach(() => vi.useRealTimers());

describe("SessionAuthentication: DRF's behaviour", () => {
  it("authenticates a live session: { user, auth: SessionRecord }", async () => {
    const { auth, login } = await setup();
    const { cookie, session } = await login();
    const result = await auth.authenticate(request("GET", { cookie }));
    expect(result).toEqual({
      user: { id: "1", username: "ada" },
      auth: session,
      userId: session.userId,
      isStaff: false,
      isSuperuser: false,
    });
    expect(auth.name).toBe("session");
  });

  it("returns null without a session cookie, and for unknown, forged or ended sessions", async () => {
    const { auth, sessions, login } = await setup();
    expect(await auth.authenticate(request("GET", {}))).toBeNull();
    expect(await auth.authenticate(request("POST", {}))).toBeNull();
    expect(await auth.authenticate(request("GET", { cookie: `sessionid=${"Z".repeat(43)}` }))).toBeNull();
    expect(await auth.authenticate(request("POST", { cookie: `sessionid=${"Z".repeat(43)}` }))).toBeNull();
    const { cookie } = await login();
    await sessions.logout(request("POST", { cookie }));
    expect(await auth.authenticate(request("GET", { cookie }))).toBeNull();
  });

  it("has no authenticateHeader, so the runner answers 403 when it is the first scheme", async () => {
    const { auth } = await setup();
    expect("authenticateHeader" in auth).toBe(false);
    const result = await authenticate(request("GET", {}), [auth]);
    expect(result).toMatchObject({ outcome: "none", status: 403 });
    const response = toResponse(result)!;
    expect(response.status).toBe(403);
    expect(response.headers.get("WWW-Authenticate")).toBeNull();
    expect(await response.json()).toEqual({
      detail: "Authentication credentials were not provided.",
      code: "not_authenticated",
    });
  });

  it("lets Basic decide the challenge when Basic comes first, and accepts the session after it", async () => {
    const { auth, users, login } = await setup();
    const basic = new BasicAuthentication({ users });
    const schemes = [basic, auth];
    const none = await authenticate(request("GET", {}), schemes);
    expect(none).toMatchObject({ outcome: "none", status: 401, wwwAuthenticate: 'Basic realm="api"' });
    const { cookie } = await login();
    const ok = await authenticate(request("GET", { cookie }), schemes);
    expect(ok).toMatchObject({ outcome: "success", scheme: "session", user: { username: "ada" } });
    const bad = await authenticate(
      request("GET", { cookie, Authorization: basicAuthHeader("ada", "x") }),
      schemes,
    );
    expect(bad.outcome).toBe("fail");
  });

  it("returns null for an inactive user, with no CSRF check (DRF)", async () => {
    const { store, users, login } = await setup();
    const { cookie } = await login();
    const inactiveUsers = {
      ...users,
      findByUsername: users.findByUsername.bind(users),
      setPasswordHash: users.setPasswordHash.bind(users),
      findById: async (id: string) => {
        const record = await users.findById(id);
        return record && { ...record, isActive: false };
      },
    };
    const sessions = new SessionManager({ store, users: inactiveUsers, secure: false });
    const auth = new SessionAuthentication({ sessions });
    expect(await auth.authenticate(request("POST", { cookie }))).toBeNull();
    expect(await auth.authenticate(request("GET", { cookie }))).toBeNull();
  });

  it("fails a session cookie sent twice with AuthenticationFailed", async () => {
    const { auth, login } = await setup();
    const a = await login();
    const error = await auth
      .authenticate(request("GET", { cookie: `sessionid=${a.id}; sessionid=${a.id}` }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(AuthenticationFailed);
    expect(error.detail).toBe("Invalid session cookie.");
  });

  it("reaches the caller as a SchemeError when the store fails: never anonymous", async () => {
    const store = new MemorySessionStore();
    const { auth, login } = await setup({ store });
    const { cookie } = await login();
    vi.spyOn(store, "get").mockRejectedValue(new Error("ECONNREFUSED"));
    const error = await authenticate(request("GET", { cookie }), [auth]).catch((e) => e);
    expect(error).toBeInstanceOf(SchemeError);
    expect(error.cause.message).toBe("ECONNREFUSED");
  });

  it("keeps the scheme contract for Authorization headers (it ignores them)", async () => {
    const { auth } = await setup();
    await checkSchemeContract(auth, { runs: 50 });
  });
});

describe("SessionAuthentication: CSRF on unsafe methods", () => {
  it.each(["GET", "HEAD", "OPTIONS", "TRACE"])("needs no token for %s", async (method) => {
    const { auth, login } = await setup();
    const { cookie } = await login();
    expect(await auth.authenticate(request(method, { cookie }))).not.toBeNull();
  });

  it.each(["POST", "PUT", "PATCH", "DELETE"])("accepts %s with the token in X-CSRFToken", async (method) => {
    const { auth, login, sessions } = await setup();
    const { cookie, secret } = await login();
    expect(await auth.authenticate(request(method, { cookie, "X-CSRFToken": secret }))).not.toBeNull();
    const { token } = await sessions.csrfToken(request("GET", { cookie }));
    expect(await auth.authenticate(request(method, { cookie, "X-CSRFToken": token }))).not.toBeNull();
  });

  async function refusal(
    headers: (s: { cookie: string; secret: string; id: string }) => Record<string, string>,
  ) {
    const { auth, login } = await setup();
    const session = await login();
    const result = await authenticate(request("POST", headers(session)), [auth]);
    expect(result.outcome).toBe("fail");
    const response = toResponse(result)!;
    expect(response.status).toBe(403);
    expect(response.headers.get("WWW-Authenticate")).toBeNull();
    const body = (await response.json()) as { detail: string; code: string };
    expect(body.code).toBe("permission_denied");
    expect(result.outcome === "fail" && result.error).toBeInstanceOf(PermissionDenied);
    return body.detail;
  }

  it("refuses every Django reason with 403 CSRF Failed", async () => {
    expect(await refusal(({ id }) => ({ cookie: `sessionid=${id}` }))).toBe(
      "CSRF Failed: CSRF cookie not set.",
    );
    expect(await refusal(({ cookie }) => ({ cookie }))).toBe("CSRF Failed: CSRF token missing.");
    expect(await refusal(({ cookie }) => ({ cookie, "X-CSRFToken": "short" }))).toBe(
      "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
    );
    expect(await refusal(({ cookie }) => ({ cookie, "X-CSRFToken": "!".repeat(32) }))).toBe(
      "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.",
    );
    expect(await refusal(({ cookie }) => ({ cookie, "X-CSRFToken": "a".repeat(32) }))).toBe(
      "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
    );
    expect(
      await refusal(({ id, secret }) => ({
        cookie: `sessionid=${id}; csrftoken=x${secret}`,
        "X-CSRFToken": secret,
      })),
    ).toBe("CSRF Failed: CSRF cookie has incorrect length.");
    expect(
      await refusal(({ cookie, secret }) => ({
        cookie,
        "X-CSRFToken": secret,
        Origin: "http://evil.example",
      })),
    ).toBe("CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins.");
    expect(
      await refusal(({ cookie, secret }) => ({
        cookie,
        "X-CSRFToken": secret,
        "Sec-Fetch-Site": "cross-site",
      })),
    ).toBe("CSRF Failed: Sec-Fetch-Site checking failed - cross-site request.");
  });

  it("refuses another session's token, and a cookie pair planted from another session", async () => {
    const { auth, login, bob } = await setup();
    const mine = await login();
    const theirs = await login(bob);
    // My session, their token in the header: it does not match my cookie.
    await expect(
      auth.authenticate(request("POST", { cookie: mine.cookie, "X-CSRFToken": theirs.secret })),
    ).rejects.toThrow("CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.");
    // My session with their csrftoken cookie and matching header (cookie tossing): not my session's secret.
    await expect(
      auth.authenticate(
        request("POST", {
          cookie: `sessionid=${mine.id}; csrftoken=${theirs.secret}`,
          "X-CSRFToken": theirs.secret,
        }),
      ),
    ).rejects.toThrow("CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.");
  });

  it("refuses the token a visitor had before logging in (rotation)", async () => {
    const { auth, sessions, ada } = await setup();
    const before = await sessions.csrfToken(makeRequest());
    const preSecret = /^csrftoken=(\w+);/.exec(before.headers.getSetCookie()[0]!)![1]!;
    const { headers } = await sessions.login(
      makeRequest({ headers: { cookie: `csrftoken=${preSecret}` } }),
      ada,
    );
    const id = /^sessionid=([^;]+);/.exec(headers.getSetCookie()[0]!)![1]!;
    await expect(
      auth.authenticate(
        request("POST", { cookie: `sessionid=${id}; csrftoken=${preSecret}`, "X-CSRFToken": before.token }),
      ),
    ).rejects.toThrow("CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.");
  });

  it("uses its own CSRF settings when given", async () => {
    const trusting = await setup({ csrf: { trustedOrigins: ["https://app.example.com"] } });
    const session = await trusting.login();
    const headers = {
      cookie: session.cookie,
      "X-CSRFToken": session.secret,
      Origin: "https://app.example.com",
    };
    expect(await trusting.auth.authenticate(request("POST", headers))).not.toBeNull();
    const plain = await setup();
    const other = await plain.login();
    await expect(
      plain.auth.authenticate(
        request("POST", { ...headers, cookie: other.cookie, "X-CSRFToken": other.secret }),
      ),
    ).rejects.toThrow("Origin checking failed");
  });

  it("moves the idle expiry only for a request that passes CSRF", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-28T12:00:00Z"));
    const users = new MemoryUserStore();
    const ada = await users.create({ username: "ada", passwordHash: null });
    const store = new MemorySessionStore();
    const touch = vi.spyOn(store, "touch");
    const sessions = new SessionManager({
      store,
      users,
      secure: false,
      idleTimeout: "2h",
      absoluteTimeout: "1d",
    });
    const auth = new SessionAuthentication({ sessions });
    const { headers } = await sessions.login(makeRequest(), ada);
    const cookie = headers
      .getSetCookie()
      .map((line) => line.split(";", 1)[0])
      .join("; ");
    const secret = /csrftoken=(\w+)/.exec(cookie)![1]!;
    vi.setSystemTime(new Date("2026-11-28T13:00:00Z"));
    await expect(auth.authenticate(request("POST", { cookie }))).rejects.toBeInstanceOf(PermissionDenied);
    expect(touch).not.toHaveBeenCalled();
    expect(await auth.authenticate(request("POST", { cookie, "X-CSRFToken": secret }))).not.toBeNull();
    expect(touch).toHaveBeenCalledTimes(1);
  });

  it("refuses DELETE without a token", async () => {
    const { auth, login } = await setup();
    const { cookie } = await login();
    await expect(auth.authenticate(request("DELETE", { cookie }))).rejects.toBeInstanceOf(PermissionDenied);
  });
});
