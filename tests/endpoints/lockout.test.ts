/**
 * Lockout at every point that checks a password (issue 19): Basic through the guard, obtainAuthToken,
 * tokenLogin, simplejwt's obtain views and the session login. Each refuses a locked (username, address)
 * pair or address with 429, DRF's throttled body and Retry-After, without verifying the password and at
 * a wrong password's cost; a success resets the pair; the lock ends after the cool-off.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { guard } from "../../src/core/guard.js";
import { obtainAuthToken, sessionHandlers, tokenLogin } from "../../src/endpoints/index.js";
import {
  AuthEvents,
  BasicAuthentication,
  createJWTHandlers,
  type EndpointHandler,
  hashPassword,
  JWTService,
  MemorySessionStore,
  MemoryTokenStore,
  MemoryUserStore,
  SessionManager,
} from "../../src/index.js";
import { basicAuthHeader, makeRequest } from "../../src/testing/index.js";
import { Lockout, type LockoutOptions, MemoryThrottleStore } from "../../src/throttling/index.js";
import { passwords } from "./setup.js";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
/** A 32-character CSRF secret sent unmasked in both the cookie and the header, as Django accepts. */
const CSRF = "abcdefghijklmnopqrstuvwxyzABCDEF";
const RIGHT = "correct horse";
const WRONG = "wrong horse";
const HOME = "203.0.113.9";
const AWAY = "198.51.100.20";
const EPOCH = Date.UTC(2026, 0, 1);

/** Freezes `Date.now()` `seconds` after EPOCH; only Date is faked, so WebCrypto runs as usual. */
function at(seconds: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(EPOCH + seconds * 1000);
}

interface Reply {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

interface Attempt {
  /** The socket's address; default HOME. */
  ip?: string;
  /** An X-Forwarded-For header. */
  forwardedFor?: string;
}

type PointName = "basic" | "obtainAuthToken" | "tokenLogin" | "obtainPair" | "obtainSliding" | "sessionLogin";

/** What each point answers for wrong credentials (DRF's 400, simplejwt's 401, Basic's 401). */
const REFUSED: Record<PointName, number> = {
  basic: 401,
  obtainAuthToken: 400,
  tokenLogin: 400,
  obtainPair: 401,
  obtainSliding: 401,
  sessionLogin: 400,
};

const THROTTLED_900 = {
  detail: "Request was throttled. Expected available in 900 seconds.",
  code: "throttled",
};

/** ada and bob ("correct horse"), a lockout (3 per pair, 10 per address, 15 minutes), and the point. */
async function point(name: PointName, overrides: Partial<LockoutOptions> = {}) {
  const users = new MemoryUserStore();
  const passwordHash = await hashPassword(RIGHT, passwords);
  await users.create({ username: "ada", passwordHash });
  await users.create({ username: "bob", passwordHash });
  const events = new AuthEvents();
  const store = new MemoryThrottleStore();
  const lockout = new Lockout({ store, failures: 3, ipFailures: 10, events, ...overrides });
  const attempt = attemptAt(name, users, lockout, events);
  return { users, events, store, lockout, attempt };
}

function attemptAt(name: PointName, users: MemoryUserStore, lockout: Lockout, events: AuthEvents) {
  if (name === "basic") {
    const basic = new BasicAuthentication({ users, passwords, lockout });
    return async (username: string, password: string, where: Attempt = {}): Promise<Reply> => {
      const headers: Record<string, string> = { Authorization: basicAuthHeader(username, password) };
      if (where.forwardedFor !== undefined) headers["X-Forwarded-For"] = where.forwardedFor;
      const request = { ...makeRequest({ headers }), remoteAddress: where.ip ?? HOME };
      const outcome = await guard(request, { schemes: [basic] });
      if (outcome.ok) return { status: 200, retryAfter: null, body: null };
      return {
        status: outcome.status,
        retryAfter: outcome.headers["Retry-After"] ?? null,
        body: outcome.body,
      };
    };
  }
  const tokens = new MemoryTokenStore();
  const jwt = createJWTHandlers(new JWTService({ signingKey: SECRET, users }), {
    passwords,
    lockout,
    events,
  });
  const sessions = new SessionManager({ store: new MemorySessionStore(), users, secure: false });
  const handlers: Record<Exclude<PointName, "basic">, EndpointHandler> = {
    obtainAuthToken: obtainAuthToken({ users, tokens, passwords, lockout, events }),
    tokenLogin: tokenLogin({ users, tokens, passwords, lockout, events }),
    obtainPair: jwt.obtainPair,
    obtainSliding: jwt.obtainSliding,
    sessionLogin: sessionHandlers({ sessions, passwords, lockout, events }).login,
  };
  const handler = handlers[name];
  return async (username: string, password: string, where: Attempt = {}): Promise<Reply> => {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (name === "sessionLogin") Object.assign(headers, { Cookie: `csrftoken=${CSRF}`, "X-CSRFToken": CSRF });
    if (where.forwardedFor !== undefined) headers["X-Forwarded-For"] = where.forwardedFor;
    const request = new Request("http://testserver/login/", {
      method: "POST",
      headers,
      body: JSON.stringify({ username, password }),
    });
    const response = await handler(request, { remoteAddress: where.ip ?? HOME });
    return {
      status: response.status,
      retryAfter: response.headers.get("Retry-After"),
      body: await response.json(),
    };
  };
}

/** The work an attempt does: user lookups, and the passwords hashed with their iteration counts. */
async function work(users: MemoryUserStore, run: () => Promise<Reply>) {
  const findByUsername = vi.spyOn(users, "findByUsername");
  const importKey = vi.spyOn(crypto.subtle, "importKey");
  const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
  findByUsername.mockClear();
  importKey.mockClear();
  deriveBits.mockClear();
  const reply = await run();
  const hashed = importKey.mock.calls
    .filter(([, , algorithm]) => algorithm === "PBKDF2")
    .map(([, data]) => new TextDecoder().decode(data as Uint8Array));
  return {
    reply,
    lookups: findByUsername.mock.calls.map(([username]) => username),
    iterations: deriveBits.mock.calls.map(([params]) => (params as Pbkdf2Params).iterations),
    hashed,
  };
}

const POINTS: PointName[] = [
  "basic",
  "obtainAuthToken",
  "tokenLogin",
  "obtainPair",
  "obtainSliding",
  "sessionLogin",
];

describe.each(POINTS)("lockout at %s", (name) => {
  const refused = REFUSED[name];

  it("answers wrong passwords as usual, then 429 with DRF's throttled body and Retry-After", async () => {
    const { attempt } = await point(name);
    at(0);
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push((await attempt("ada", WRONG)).status);
    expect(replies).toEqual([refused, refused, refused]);
    expect(await attempt("ada", RIGHT)).toEqual({ status: 429, retryAfter: "900", body: THROTTLED_900 });
    expect(await attempt("ada", WRONG)).toEqual({ status: 429, retryAfter: "900", body: THROTTLED_900 });
  });

  it("refuses the right password during the lock without verifying it, at a wrong password's cost", async () => {
    const { attempt, users } = await point(name);
    at(0);
    const unlocked = await work(users, () => attempt("bob", WRONG));
    expect(unlocked).toMatchObject({ lookups: ["bob"], iterations: [1000], hashed: [WRONG] });
    for (let i = 0; i < 3; i++) await attempt("ada", WRONG);

    const right = await work(users, () => attempt("ada", RIGHT));
    const wrong = await work(users, () => attempt("ada", WRONG));
    expect(right.reply.status).toBe(429);
    expect(right.lookups).toEqual(["ada"]);
    expect(right.iterations).toEqual(unlocked.iterations);
    expect(right.hashed).toHaveLength(1);
    expect(right.hashed).not.toContain(RIGHT);
    expect(wrong.hashed).not.toContain(WRONG);
    expect({ ...right, hashed: right.hashed.length }).toEqual({ ...wrong, hashed: wrong.hashed.length });
  });

  it("an unknown username locked out costs what a known one does", async () => {
    const { attempt, users } = await point(name);
    at(0);
    for (let i = 0; i < 3; i++) await attempt("nobody", WRONG);
    const locked = await work(users, () => attempt("nobody", RIGHT));
    expect(locked).toMatchObject({ reply: { status: 429 }, lookups: ["nobody"], iterations: [1000] });
  });

  it("checks no more than `failures` passwords of parallel guesses: the attempt is counted before the check", async () => {
    const { attempt } = await point(name);
    at(0);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt("ada", `guess ${i}`)));
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([...Array(3).fill(refused), ...Array(17).fill(429)].sort());
    expect(replies.find((reply) => reply.status === 429)).toEqual({
      status: 429,
      retryAfter: "900",
      body: THROTTLED_900,
    });
    expect((await attempt("ada", RIGHT)).status).toBe(429);
  });

  it("a success before the limit resets the pair's count", async () => {
    const { attempt } = await point(name);
    at(0);
    const statuses = [];
    for (const password of [WRONG, WRONG, RIGHT, WRONG, WRONG, WRONG, RIGHT]) {
      statuses.push((await attempt("ada", password)).status);
    }
    expect(statuses).toEqual([refused, refused, 200, refused, refused, refused, 429]);
  });

  it("locks the pair only: another address and another username still log in", async () => {
    const { attempt } = await point(name);
    at(0);
    for (let i = 0; i < 3; i++) await attempt("ada", WRONG);
    expect((await attempt("ada", RIGHT, { ip: AWAY })).status).toBe(200);
    expect((await attempt("bob", RIGHT)).status).toBe(200);
    expect((await attempt("ada", RIGHT)).status).toBe(429);
  });

  it("locks an address after ipFailures failures over many usernames", async () => {
    const { attempt } = await point(name, { ipFailures: 4 });
    at(0);
    const statuses = [];
    for (const username of ["u1", "u2", "ada", "u3"]) statuses.push((await attempt(username, WRONG)).status);
    expect(statuses).toEqual([refused, refused, refused, refused]);
    expect(await attempt("bob", RIGHT)).toEqual({ status: 429, retryAfter: "900", body: THROTTLED_900 });
    expect((await attempt("bob", RIGHT, { ip: AWAY })).status).toBe(200);
  });

  it("ends the lock after coolOff, counting Retry-After down", async () => {
    const { attempt } = await point(name, { coolOff: "10m" });
    at(0);
    for (let i = 0; i < 3; i++) await attempt("ada", WRONG);
    at(1);
    expect(await attempt("ada", RIGHT)).toMatchObject({
      status: 429,
      retryAfter: "599",
      body: { detail: "Request was throttled. Expected available in 599 seconds." },
    });
    at(599.5);
    expect(await attempt("ada", RIGHT)).toMatchObject({
      status: 429,
      retryAfter: "1",
      body: { detail: "Request was throttled. Expected available in 1 second." },
    });
    at(600);
    expect((await attempt("ada", RIGHT)).status).toBe(200);
  });

  it("reads the client from X-Forwarded-For only with numProxies", async () => {
    const behindProxy = await point(name, { numProxies: 1 });
    at(0);
    const via = (client: string) => ({ ip: "10.0.0.1", forwardedFor: `${client}, ${client}` });
    for (let i = 0; i < 3; i++) await behindProxy.attempt("ada", WRONG, via("192.0.2.7"));
    expect((await behindProxy.attempt("ada", RIGHT, via("192.0.2.7"))).status).toBe(429);
    expect((await behindProxy.attempt("ada", RIGHT, via("192.0.2.8"))).status).toBe(200);

    const direct = await point(name);
    for (let i = 0; i < 3; i++) await direct.attempt("ada", WRONG, { forwardedFor: "192.0.2.7" });
    // Without numProxies the header is the client's to write: a new one does not escape the lock.
    expect((await direct.attempt("ada", RIGHT, { forwardedFor: "192.0.2.99" })).status).toBe(429);
  });

  it("emits lockedOut once, throttled for each refused attempt, and loginFailed at the endpoints", async () => {
    const { attempt, events } = await point(name);
    const seen: Array<[string, unknown]> = [];
    events.on("lockedOut", (payload) => {
      seen.push(["lockedOut", payload]);
    });
    events.on("throttled", (payload) => {
      seen.push(["throttled", payload]);
    });
    events.on("loginFailed", (payload) => {
      seen.push(["loginFailed", payload]);
    });
    at(0);
    for (let i = 0; i < 3; i++) await attempt("ada", WRONG);
    await attempt("ada", RIGHT);
    await attempt("ada", RIGHT);

    const lockedOut = seen.filter(([event]) => event === "lockedOut").map(([, payload]) => payload);
    expect(lockedOut).toEqual([
      {
        key: expect.stringMatching(/^lockout_lock_user_/),
        scope: "lockout_user",
        clientIp: HOME,
        username: "ada",
      },
    ]);
    const lockKey = (lockedOut[0] as { key: string }).key;
    expect(lockKey).not.toContain("ada");
    const throttled = seen.filter(([event]) => event === "throttled").map(([, payload]) => payload);
    expect(throttled).toEqual([
      { key: lockKey, scope: "lockout", clientIp: HOME },
      { key: lockKey, scope: "lockout", clientIp: HOME },
    ]);
    const failed = seen.filter(([event]) => event === "loginFailed").map(([, payload]) => payload);
    if (name === "basic") expect(failed).toEqual([]);
    else expect(failed).toEqual(Array.from({ length: 5 }, () => ({ username: "ada", via: name })));
    // The lock starts with the third failure, before anything is refused.
    expect(seen.findIndex(([event]) => event === "lockedOut")).toBeLessThan(
      seen.findIndex(([event]) => event === "throttled"),
    );
  });
});

describe("lockout at the session login, behind its CSRF check", () => {
  it("a request without the CSRF token is a 403 that neither counts nor reveals the lock", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: await hashPassword(RIGHT, passwords) });
    const store = new MemoryThrottleStore();
    const hit = vi.spyOn(store, "hit");
    const lockout = new Lockout({ store, failures: 1 });
    const sessions = new SessionManager({ store: new MemorySessionStore(), users, secure: false });
    const { login } = sessionHandlers({ sessions, passwords, lockout });
    const post = (password: string, csrf: boolean) =>
      login(
        new Request("http://testserver/login/", {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            Cookie: `csrftoken=${CSRF}`,
            ...(csrf ? { "X-CSRFToken": CSRF } : {}),
          },
          body: JSON.stringify({ username: "ada", password }),
        }),
        { remoteAddress: HOME },
      );
    at(0);
    const noToken = await post(WRONG, false);
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toEqual({ detail: "CSRF Failed: CSRF token missing." });
    expect(hit).not.toHaveBeenCalled();
    expect((await post(WRONG, true)).status).toBe(400);
    const locked = await post(RIGHT, false);
    expect(locked.status).toBe(403);
    expect((await post(RIGHT, true)).status).toBe(429);
  });
});
