import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tokenDigest } from "../../src/adapter-kit.js";
import {
  AuthenticationFailed,
  MemorySessionStore,
  MemoryUserStore,
  SessionManager,
  type SessionManagerOptions,
  type SessionStore,
  type UserStore,
} from "../../src/index.js";
import { SESSION_AUTH_HASH_KEY, sessionCsrfSecret, unmaskCsrfToken } from "../../src/sessions/index.js";
import { makeRequest } from "../../src/testing/index.js";

const T0 = new Date("2026-11-28T12:00:00Z").getTime();
const MINUTE = 60_000;
const DAY = 86_400_000;

type User = { id: string; username: string };

async function setup(options: Partial<SessionManagerOptions<User>> = {}) {
  const users = new MemoryUserStore();
  const ada = await users.create({ username: "ada", passwordHash: "pbkdf2_sha256$1$salt$hash" });
  const bob = await users.create({ username: "bob", passwordHash: null });
  const store = new MemorySessionStore();
  const sessions = new SessionManager<User>({ store, users, secure: false, ...options });
  return { users, store, sessions, ada, bob };
}

/** The cookie pairs a response's Set-Cookie lines leave in a browser. */
function cookieHeader(headers: Headers): string {
  return headers
    .getSetCookie()
    .map((line) => line.split(";", 1)[0]!)
    .join("; ");
}

function sessionId(headers: Headers, name = "sessionid"): string {
  const line = headers.getSetCookie().find((l) => l.startsWith(`${name}=`))!;
  return line.slice(name.length + 1, line.indexOf(";"));
}

const withCookie = (cookie: string, method = "GET") => makeRequest({ method, headers: { cookie } });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

describe("SessionManager.login", () => {
  it("creates a session stored only by the SHA-256 of a 32-byte base64url id", async () => {
    const { sessions, store, ada } = await setup();
    const { session, headers, csrfToken } = await sessions.login(makeRequest(), ada);
    const id = sessionId(headers);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).toEqual({
      idDigest: await tokenDigest(id),
      userId: ada.id,
      createdAt: new Date(T0),
      expiresAt: new Date(T0 + 14 * DAY),
      absoluteExpiresAt: new Date(T0 + 14 * DAY),
      data: { [SESSION_AUTH_HASH_KEY]: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(await store.get(await tokenDigest(id))).toEqual(session);
    expect(JSON.stringify(await store.get(await tokenDigest(id)))).not.toContain(id);
    expect(unmaskCsrfToken(csrfToken)).toBe(await sessionCsrfSecret(id));
  });

  it("sets exactly Django's cookies: sessionid (HttpOnly) and csrftoken (readable), Lax, Path=/, no Domain", async () => {
    const { sessions, ada } = await setup();
    const { headers } = await sessions.login(makeRequest(), ada);
    const [session, csrf] = headers.getSetCookie();
    expect(session).toBe(
      `sessionid=${sessionId(headers)}; Max-Age=1209600; Expires=Sat, 12 Dec 2026 12:00:00 GMT; Path=/; HttpOnly; SameSite=Lax`,
    );
    expect(csrf).toMatch(
      /^csrftoken=[a-zA-Z0-9]{32}; Max-Age=31449600; Expires=Sat, 27 Nov 2027 12:00:00 GMT; Path=\/; SameSite=Lax$/,
    );
    expect(headers.getSetCookie()).toHaveLength(2);
  });

  it("uses __Host-sessionid, Secure, by default", async () => {
    const users = new MemoryUserStore();
    const ada = await users.create({ username: "ada", passwordHash: null });
    const sessions = new SessionManager({ store: new MemorySessionStore(), users });
    expect(sessions.cookieName).toBe("__Host-sessionid");
    const { headers } = await sessions.login(makeRequest(), ada);
    const [session, csrf] = headers.getSetCookie();
    expect(session).toMatch(
      /^__Host-sessionid=[A-Za-z0-9_-]{43}; Max-Age=1209600; Expires=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(csrf).toMatch(
      /^csrftoken=[a-zA-Z0-9]{32}; Max-Age=31449600; Expires=[^;]+; Path=\/; Secure; SameSite=Lax$/,
    );
    for (const line of headers.getSetCookie()) expect(line.toLowerCase()).not.toContain("domain");
  });

  it("takes a custom cookie name, and refuses one a browser would drop", async () => {
    const { sessions } = await setup({ cookie: "app_session" });
    expect(sessions.cookieName).toBe("app_session");
    const users = new MemoryUserStore();
    expect(
      () =>
        new SessionManager({ store: new MemorySessionStore(), users, cookie: "__Host-sid", secure: false }),
    ).toThrow(TypeError);
    expect(() => new SessionManager({ store: new MemorySessionStore(), users, cookie: "bad name" })).toThrow(
      TypeError,
    );
  });

  it("always issues a new id and destroys the one the request carried (no fixation)", async () => {
    const { sessions, store, ada, bob } = await setup();
    const first = await sessions.login(makeRequest(), ada);
    const s0 = sessionId(first.headers);
    const second = await sessions.login(withCookie(cookieHeader(first.headers)), bob);
    const s1 = sessionId(second.headers);
    expect(s1).not.toBe(s0);
    expect(await store.get(await tokenDigest(s0))).toBeNull();
    expect(await sessions.read(withCookie(`sessionid=${s0}`))).toBeNull();
    // The new session holds nothing of the old one: bob's, with bob's auth hash.
    const active = await sessions.read(withCookie(`sessionid=${s1}`));
    expect(active?.owner.username).toBe("bob");
    expect(active?.record.userId).toBe(bob.id);
  });

  it("never adopts an id it did not issue (strict mode)", async () => {
    const { sessions, store, ada } = await setup();
    const forged = "A".repeat(43);
    const { headers } = await sessions.login(withCookie(`sessionid=${forged}`), ada);
    expect(sessionId(headers)).not.toBe(forged);
    expect(await store.get(await tokenDigest(forged))).toBeNull();
    expect(await sessions.read(withCookie(`sessionid=${forged}`))).toBeNull();
  });

  it("rotates the CSRF secret on login", async () => {
    const { sessions, ada } = await setup();
    const a = await sessions.login(makeRequest(), ada);
    const b = await sessions.login(withCookie(cookieHeader(a.headers)), ada);
    const secret = (h: Headers) => /csrftoken=(\w+)/.exec(h.getSetCookie()[1]!)![1];
    expect(secret(a.headers)).not.toBe(secret(b.headers));
  });
});

describe("SessionManager.read: expiry, users and password changes", () => {
  it("finds the session and its user", async () => {
    const { sessions, ada } = await setup();
    const { headers, session } = await sessions.login(makeRequest(), ada);
    const active = await sessions.read(withCookie(cookieHeader(headers)));
    expect(active?.record).toEqual(session);
    expect(active?.owner.user).toEqual({ id: ada.id, username: "ada" });
    expect(active?.csrfSecret).toBe(await sessionCsrfSecret(sessionId(headers)));
  });

  it.each([
    ["no cookie", ""],
    ["another cookie", "other=1"],
    ["an unknown id", `sessionid=${"B".repeat(43)}`],
    ["a short id", "sessionid=abc"],
    ["an id with bad characters", `sessionid=${"+".repeat(43)}`],
    ["an empty value", "sessionid="],
  ])("answers null for %s", async (_, cookie) => {
    const { sessions } = await setup();
    expect(await sessions.read(withCookie(cookie))).toBeNull();
  });

  it.each([
    ["sent twice", (c: string) => `${c}; ${c}`],
    ["with a space in it", (c: string) => `${c.slice(0, 20)} ${c.slice(20)}`],
    ["in an oversized header", (c: string) => `${c}; pad=${"x".repeat(9000)}`],
  ])("fails a session cookie %s", async (_, mangle) => {
    const { sessions, ada } = await setup();
    const { headers } = await sessions.login(makeRequest(), ada);
    const error = await sessions
      .read(withCookie(mangle(cookieHeader(headers).split("; ")[0]!)))
      .catch((e) => e);
    expect(error).toBeInstanceOf(AuthenticationFailed);
    expect(error.detail).toBe("Invalid session cookie.");
    expect(error.status).toBe(401);
  });

  it("ends a session at the idle timeout, server-side", async () => {
    const { sessions, store, ada } = await setup({ idleTimeout: "30m", absoluteTimeout: "1d" });
    const { headers, session } = await sessions.login(makeRequest(), ada);
    vi.setSystemTime(T0 + 30 * MINUTE - 1);
    expect(await sessions.read(withCookie(cookieHeader(headers)))).not.toBeNull();
    vi.setSystemTime(T0 + 60 * MINUTE); // 30 min after the touch above
    expect(await sessions.read(withCookie(cookieHeader(headers)))).toBeNull();
    expect(await store.get(session.idDigest)).toBeNull();
  });

  it("slides the idle expiry, writing it at most once per touchInterval", async () => {
    const store = new MemorySessionStore();
    const touch = vi.spyOn(store, "touch");
    const { sessions, ada } = await setup({
      store,
      idleTimeout: "30m",
      absoluteTimeout: "1d",
      touchInterval: "5m",
    });
    const { headers, session } = await sessions.login(makeRequest(), ada);
    const cookie = cookieHeader(headers);
    for (let minute = 1; minute <= 4; minute++) {
      vi.setSystemTime(T0 + minute * MINUTE);
      expect(await sessions.read(withCookie(cookie))).not.toBeNull();
    }
    expect(touch).not.toHaveBeenCalled();
    vi.setSystemTime(T0 + 5 * MINUTE);
    expect((await sessions.read(withCookie(cookie)))?.record.expiresAt).toEqual(new Date(T0 + 35 * MINUTE));
    expect(touch).toHaveBeenCalledTimes(1);
    expect(touch).toHaveBeenCalledWith(session.idDigest, new Date(T0 + 35 * MINUTE));
    expect((await store.get(session.idDigest))?.expiresAt).toEqual(new Date(T0 + 35 * MINUTE));
    // Kept alive by use, past the first idle deadline.
    for (let minute = 10; minute <= 120; minute += 10) {
      vi.setSystemTime(T0 + minute * MINUTE);
      expect(await sessions.read(withCookie(cookie))).not.toBeNull();
    }
    expect(touch.mock.calls.length).toBeLessThanOrEqual(13);
  });

  it("never extends the absolute timeout", async () => {
    const { sessions, store, ada } = await setup({ idleTimeout: "1h", absoluteTimeout: "3h" });
    const { headers, session } = await sessions.login(makeRequest(), ada);
    const cookie = cookieHeader(headers);
    for (let minute = 30; minute < 180; minute += 30) {
      vi.setSystemTime(T0 + minute * MINUTE);
      const active = await sessions.read(withCookie(cookie));
      expect(active?.record.expiresAt.getTime()).toBeLessThanOrEqual(T0 + 180 * MINUTE);
      expect(active?.record.absoluteExpiresAt).toEqual(new Date(T0 + 180 * MINUTE));
    }
    vi.setSystemTime(T0 + 180 * MINUTE);
    expect(await sessions.read(withCookie(cookie))).toBeNull();
    expect(await store.get(session.idDigest)).toBeNull();
  });

  it("sets the cookie's Max-Age from the absolute timeout", async () => {
    const { sessions, ada } = await setup({ idleTimeout: "30m", absoluteTimeout: "8h" });
    const { headers, session } = await sessions.login(makeRequest(), ada);
    expect(headers.getSetCookie()[0]).toContain("; Max-Age=28800; ");
    expect(session.expiresAt).toEqual(new Date(T0 + 30 * MINUTE));
    expect(session.absoluteExpiresAt).toEqual(new Date(T0 + 8 * 60 * MINUTE));
  });

  it("answers null for an inactive user without ending the session", async () => {
    const { sessions, users, store, ada } = await setup();
    const { headers, session } = await sessions.login(makeRequest(), ada);
    const deactivated: UserStore<User> = {
      findByUsername: (username) => users.findByUsername(username),
      setPasswordHash: (id, hash) => users.setPasswordHash(id, hash),
      findById: async (id) => {
        const record = await users.findById(id);
        return record && { ...record, isActive: false };
      },
    };
    const other = new SessionManager({ store, users: deactivated, secure: false });
    expect(await other.read(withCookie(cookieHeader(headers)))).toBeNull();
    expect(await store.get(session.idDigest)).not.toBeNull();
    expect(await sessions.read(withCookie(cookieHeader(headers)))).not.toBeNull();
  });

  it("ends the session when its user is gone", async () => {
    const { store, users, sessions, ada } = await setup();
    const { headers, session } = await sessions.login(makeRequest(), ada);
    const gone: UserStore<User> = {
      findByUsername: async () => null,
      findById: async () => null,
      setPasswordHash: (id, hash) => users.setPasswordHash(id, hash),
    };
    const other = new SessionManager({ store, users: gone, secure: false });
    expect(await other.read(withCookie(cookieHeader(headers)))).toBeNull();
    expect(await store.get(session.idDigest)).toBeNull();
  });

  it("records the login in the user store, as Django's login() does", async () => {
    const { sessions, users, ada } = await setup();
    await sessions.login(makeRequest(), ada);
    expect((await users.findById(ada.id))?.lastLogin).toEqual(new Date(T0));
  });

  it("ends every session once the password changes (Django's session auth hash)", async () => {
    const { sessions, users, store, ada } = await setup();
    const { headers, session } = await sessions.login(makeRequest(), ada);
    await users.setPasswordHash(ada.id, "pbkdf2_sha256$1$salt$other");
    expect(await sessions.read(withCookie(cookieHeader(headers)))).toBeNull();
    expect(await store.get(session.idDigest)).toBeNull();
  });

  it("ends a session whose stored auth hash is missing or altered", async () => {
    const store = new MemorySessionStore();
    const { sessions, ada } = await setup({ store });
    const { headers, session } = await sessions.login(makeRequest(), ada);
    await store.delete(session.idDigest);
    await store.create({ ...session, data: {} });
    expect(await sessions.read(withCookie(cookieHeader(headers)))).toBeNull();
  });

  it("lets a store failure reject, never answering anonymous", async () => {
    const failing: SessionStore = {
      create: async () => undefined,
      get: async () => {
        throw new Error("connection refused");
      },
      touch: async () => undefined,
      delete: async () => false,
      deleteForUser: async () => 0,
    };
    const { sessions, ada } = await setup({ store: failing });
    const { headers } = await sessions.login(makeRequest(), ada);
    await expect(sessions.read(withCookie(cookieHeader(headers)))).rejects.toThrow("connection refused");
  });
});

describe("SessionManager.logout and invalidateUser", () => {
  it("destroys the session server-side and clears the cookie", async () => {
    const { sessions, store, ada } = await setup();
    const login = await sessions.login(makeRequest(), ada);
    const { headers, ended } = await sessions.logout(withCookie(cookieHeader(login.headers)));
    expect(ended).toBe(true);
    expect(headers.getSetCookie()).toEqual([
      "sessionid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax",
    ]);
    expect(await store.get(login.session.idDigest)).toBeNull();
    // Replaying the old cookie: anonymous.
    expect(await sessions.read(withCookie(cookieHeader(login.headers)))).toBeNull();
  });

  it("clears a __Host- cookie with Secure, so the browser accepts the deletion", async () => {
    const users = new MemoryUserStore();
    const sessions = new SessionManager({ store: new MemorySessionStore(), users });
    const { headers, ended } = await sessions.logout(makeRequest());
    expect(ended).toBe(false);
    expect(headers.getSetCookie()).toEqual([
      "__Host-sessionid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; Secure; SameSite=Lax",
    ]);
  });

  it("ends every session of one user, on every device, and no one else's", async () => {
    const { sessions, ada, bob } = await setup();
    const a1 = await sessions.login(makeRequest(), ada);
    const a2 = await sessions.login(makeRequest(), ada);
    const b1 = await sessions.login(makeRequest(), bob);
    expect(await sessions.invalidateUser(ada.id)).toBe(2);
    expect(await sessions.read(withCookie(cookieHeader(a1.headers)))).toBeNull();
    expect(await sessions.read(withCookie(cookieHeader(a2.headers)))).toBeNull();
    expect(await sessions.read(withCookie(cookieHeader(b1.headers)))).not.toBeNull();
    expect(await sessions.invalidateUser(ada.id)).toBe(0);
  });
});

describe("SessionManager.csrfToken", () => {
  it("gives the session's own secret to a logged-in request", async () => {
    const { sessions, ada } = await setup();
    const login = await sessions.login(makeRequest(), ada);
    const { token, headers } = await sessions.csrfToken(withCookie(cookieHeader(login.headers)));
    const secret = await sessionCsrfSecret(sessionId(login.headers));
    expect(unmaskCsrfToken(token)).toBe(secret);
    expect(headers.getSetCookie()[0]).toMatch(new RegExp(`^csrftoken=${secret}; `));
  });

  it("keeps an anonymous visitor's secret, or makes one", async () => {
    const { sessions } = await setup();
    const fresh = await sessions.csrfToken(makeRequest());
    const secret = /^csrftoken=(\w{32});/.exec(fresh.headers.getSetCookie()[0]!)![1]!;
    expect(unmaskCsrfToken(fresh.token)).toBe(secret);
    const again = await sessions.csrfToken(withCookie(`csrftoken=${secret}`));
    expect(unmaskCsrfToken(again.token)).toBe(secret);
    expect(again.token).not.toBe(fresh.token);
  });
});

describe("SessionManager: configuration errors", () => {
  it("refuses missing stores and bad durations", () => {
    const users = new MemoryUserStore();
    const store = new MemorySessionStore();
    expect(() => new SessionManager({ store, users: undefined as never })).toThrow(TypeError);
    expect(() => new SessionManager({ store: undefined as never, users })).toThrow(TypeError);
    expect(() => new SessionManager({ store, users, idleTimeout: "2 weeks" as never })).toThrow(RangeError);
    expect(() => new SessionManager({ store, users, absoluteTimeout: 0 })).toThrow(RangeError);
  });
});
