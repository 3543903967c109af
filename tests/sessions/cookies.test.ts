import fc from "fast-check";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthError,
  MemorySessionStore,
  MemoryUserStore,
  SessionAuthentication,
  SessionManager,
} from "../../src/index.js";
import {
  type CookieRead,
  MAX_COOKIE_HEADER_LENGTH,
  readCookie,
  serializeCookie,
} from "../../src/sessions/index.js";
import { makeRequest } from "../../src/testing/index.js";

const withCookie = (cookie: string | undefined) =>
  makeRequest({ headers: cookie === undefined ? {} : { Cookie: cookie } });
const read = (cookie: string | undefined, name = "sessionid") => readCookie(withCookie(cookie), name);

// RFC 6265 §4.1.1 cookie-octet.
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

afterEach(() => {
  vi.useRealTimers();
});

describe("readCookie", () => {
  it("exports the 8192-character limit", () => {
    expect(MAX_COOKIE_HEADER_LENGTH).toBe(8192);
  });

  it.each<[string | undefined, CookieRead]>([
    [undefined, null],
    ["", null],
    ["sessionid=abc", { value: "abc" }],
    ["a=1; sessionid=abc; b=2", { value: "abc" }],
    ["a=1;sessionid=abc;b=2", { value: "abc" }],
    ["  sessionid=abc  ", { value: "abc" }],
    ["sessionid=abc;", { value: "abc" }],
    ["sessionid=", { value: "" }],
    ["sessionid=a=b==", { value: "a=b==" }],
    ['sessionid="abc"', { value: "abc" }],
    ['sessionid=""', { value: "" }],
    ["sessionid=!#$%&'()*+-./:<=>?@[]^_`{|}~", { value: "!#$%&'()*+-./:<=>?@[]^_`{|}~" }],
    // Names are exact and case-sensitive; look-alikes are other cookies.
    ["SessionID=abc", null],
    ["SESSIONID=abc", null],
    ["sessionid2=abc", null],
    ["my_sessionid=abc", null],
    ["sessionid_old=abc; sessionid=new", { value: "new" }],
    ["sessionid", null],
    ["other=sessionid", null],
    // A neighbour's odd cookie is skipped unread.
    ["other=a b; sessionid=abc", { value: "abc" }],
    ['other="; sessionid=abc', { value: "abc" }],
    ["other=caf\u00e9\u0000\u2603; sessionid=abc; other=caf\u00e9", { value: "abc" }],
    ["other=1; other=2; sessionid=abc", { value: "abc" }],
  ])("reads %j as %j", (cookie, expected) => {
    expect(read(cookie)).toEqual(expected);
  });

  it("matches __Host- names exactly", () => {
    expect(read("__Host-sessionid=abc", "__Host-sessionid")).toEqual({ value: "abc" });
    expect(read("__host-sessionid=abc", "__Host-sessionid")).toBeNull();
    expect(read("sessionid=abc", "__Host-sessionid")).toBeNull();
    expect(read("__Host-sessionid=abc", "sessionid")).toBeNull();
  });

  it.each([
    "sessionid=a; sessionid=b",
    "sessionid=a;sessionid=a",
    "sessionid=; sessionid=b",
    "sessionid=a; other=1; sessionid=a",
    'sessionid="a"; sessionid=a',
    "sessionid=a; sessionid=b c",
  ])("refuses the duplicate in %j", (cookie) => {
    expect(read(cookie)).toEqual({ error: "duplicate" });
  });

  it.each([
    "sessionid=a b",
    "sessionid=a\tb",
    'sessionid=a"b',
    'sessionid="abc',
    'sessionid=abc"',
    'sessionid="a"b"',
    'sessionid="a b"',
    'sessionid="',
    "sessionid=a,b",
    "sessionid=a\\b",
    "sessionid=a\u0000b",
    "sessionid=a\u0001",
    "sessionid=a\u007f",
    "sessionid=a\rb",
    "sessionid=caf\u00e9",
    "sessionid=\u2603",
    "sessionid=\u{1f36a}",
    "sessionid=\ud800",
    // The first of two is malformed: that is what is reported.
    "sessionid=a b; sessionid=c",
  ])("refuses the value in %j as malformed", (cookie) => {
    expect(read(cookie)).toEqual({ error: "malformed" });
  });

  it("refuses a header over 8192 characters that holds the name, and parses one of 8192", () => {
    const exact = `sessionid=abc; pad=${"x".repeat(MAX_COOKIE_HEADER_LENGTH - 19)}`;
    expect(exact).toHaveLength(MAX_COOKIE_HEADER_LENGTH);
    expect(read(exact)).toEqual({ value: "abc" });
    expect(read(`${exact}x`)).toEqual({ error: "too-long" });
    expect(read(`sessionid=${"a".repeat(10_000)}`)).toEqual({ error: "too-long" });
    expect(read(`pad=${"x".repeat(10_000)}; sessionid=abc`)).toEqual({ error: "too-long" });
  });

  it("answers null for an oversized header that does not mention the name", () => {
    expect(read(`pad=${"x".repeat(10_000)}`)).toBeNull();
    expect(read(`pad=${"x".repeat(10_000)}`, "csrftoken")).toBeNull();
  });

  it("reads several names from one header independently", () => {
    const request = withCookie("sessionid=s; csrftoken=c; csrftoken=d; theme=dark");
    expect(readCookie(request, "sessionid")).toEqual({ value: "s" });
    expect(readCookie(request, "csrftoken")).toEqual({ error: "duplicate" });
    expect(readCookie(request, "theme")).toEqual({ value: "dark" });
    expect(readCookie(request, "lang")).toBeNull();
  });
});

describe("serializeCookie", () => {
  it.each<[string, string, Parameters<typeof serializeCookie>[2], string]>([
    [
      "sessionid",
      "abc",
      { maxAge: 1_209_600, httpOnly: true, secure: false, now: T0 },
      "sessionid=abc; Max-Age=1209600; Expires=Sat, 12 Dec 2026 12:00:00 GMT; Path=/; HttpOnly; SameSite=Lax",
    ],
    [
      "__Host-sessionid",
      "abc",
      { maxAge: 1_209_600, httpOnly: true, secure: true, now: T0 },
      "__Host-sessionid=abc; Max-Age=1209600; Expires=Sat, 12 Dec 2026 12:00:00 GMT; Path=/; HttpOnly; Secure; SameSite=Lax",
    ],
    [
      "csrftoken",
      "s3cr3t",
      { maxAge: 31_449_600, httpOnly: false, secure: true, now: T0 },
      "csrftoken=s3cr3t; Max-Age=31449600; Expires=Sat, 27 Nov 2027 12:00:00 GMT; Path=/; Secure; SameSite=Lax",
    ],
    [
      "theme",
      "dark",
      { maxAge: 3600, httpOnly: false, secure: false, sameSite: "Strict", path: "/app", now: T0 },
      "theme=dark; Max-Age=3600; Expires=Sat, 28 Nov 2026 13:00:00 GMT; Path=/app; SameSite=Strict",
    ],
    [
      "__Secure-embed",
      "x",
      { maxAge: 3600, httpOnly: true, secure: true, sameSite: "None", now: T0 },
      "__Secure-embed=x; Max-Age=3600; Expires=Sat, 28 Nov 2026 13:00:00 GMT; Path=/; HttpOnly; Secure; SameSite=None",
    ],
    [
      "sessionid",
      "",
      { maxAge: 0, httpOnly: true, secure: false, now: T0 },
      "sessionid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax",
    ],
    [
      "sessionid",
      "",
      { maxAge: -5, httpOnly: true, secure: false, now: T0 },
      "sessionid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax",
    ],
    [
      "sessionid",
      "v",
      { maxAge: 3600.9, httpOnly: false, secure: false, now: T0 },
      "sessionid=v; Max-Age=3600; Expires=Sat, 28 Nov 2026 13:00:00 GMT; Path=/; SameSite=Lax",
    ],
    [
      "csrftoken",
      "s3cr3t",
      { maxAge: null, httpOnly: false, secure: true, now: T0 },
      "csrftoken=s3cr3t; Path=/; Secure; SameSite=Lax",
    ],
    [
      "__Host-sessionid",
      "abc",
      { maxAge: null, httpOnly: true, secure: true, sameSite: "Strict" },
      "__Host-sessionid=abc; Path=/; HttpOnly; Secure; SameSite=Strict",
    ],
  ])("writes %s=%j with %j exactly", (name, value, attributes, line) => {
    expect(serializeCookie(name, value, attributes)).toBe(line);
  });

  it("takes Expires from the clock without `now`", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T0);
    expect(serializeCookie("a", "b", { maxAge: 3600, httpOnly: false, secure: false })).toBe(
      "a=b; Max-Age=3600; Expires=Sat, 28 Nov 2026 13:00:00 GMT; Path=/; SameSite=Lax",
    );
  });

  it("never writes a Domain", () => {
    const line = serializeCookie("__Host-sessionid", "x", { maxAge: 60, httpOnly: true, secure: true });
    expect(line).not.toMatch(/domain/i);
  });

  // RFC 6265 §4.1.1: path-value is any CHAR except CTLs or ";". A ";" would add attributes (a Domain).
  it.each(["/; Domain=evil.example", "/app;Secure", "/a\r\nSet-Cookie: x=y", "/a\u0000"])(
    "refuses the path %j with a TypeError",
    (path) => {
      expect(() =>
        serializeCookie("theme", "dark", { maxAge: 60, httpOnly: false, secure: true, path }),
      ).toThrow(TypeError);
    },
  );

  it.each([Number.NaN, Number.POSITIVE_INFINITY])(
    "refuses maxAge %s with a RangeError (no Max-Age=NaN or Expires=Invalid Date)",
    (maxAge) => {
      expect(() => serializeCookie("theme", "dark", { maxAge, httpOnly: false, secure: false })).toThrow(
        RangeError,
      );
    },
  );

  it.each<[string, Parameters<typeof serializeCookie>[2], string]>([
    [
      "__Host-sessionid",
      { maxAge: 60, httpOnly: true, secure: false },
      "A __Host- cookie must be Secure with Path=/ (__Host-sessionid).",
    ],
    [
      "__Host-sessionid",
      { maxAge: 60, httpOnly: true, secure: true, path: "/api" },
      "A __Host- cookie must be Secure with Path=/ (__Host-sessionid).",
    ],
    [
      "__host-sessionid",
      { maxAge: 60, httpOnly: true, secure: false },
      "A __Host- cookie must be Secure with Path=/ (__host-sessionid).",
    ],
    [
      "__Secure-id",
      { maxAge: 60, httpOnly: true, secure: false },
      "A __Secure- cookie must be Secure (__Secure-id).",
    ],
    [
      "sessionid",
      { maxAge: 60, httpOnly: true, secure: false, sameSite: "None" },
      "A SameSite=None cookie must be Secure (sessionid).",
    ],
  ])("refuses %s with %j", (name, attributes, message) => {
    expect(() => serializeCookie(name, "x", attributes)).toThrow(new TypeError(message));
  });

  it.each(["", "a b", "a;b", "a=b", "a,b", 'a"b', "a\tb", "a\u0000", "caf\u00e9", "a/b", "(a)", "a:b"])(
    "refuses the name %j with a TypeError",
    (name) => {
      expect(() => serializeCookie(name, "x", { maxAge: 60, httpOnly: true, secure: true })).toThrow(
        new TypeError(`Invalid cookie name: ${JSON.stringify(name)}.`),
      );
    },
  );

  it.each([
    "a b",
    "a;b",
    'a"b',
    '"ab"',
    "a,b",
    "a\\b",
    "caf\u00e9",
    "a\u007f",
    "a\r\nSet-Cookie: x=y",
    "a\u0000",
  ])("refuses the value %j with a TypeError", (value) => {
    expect(() => serializeCookie("sessionid", value, { maxAge: 60, httpOnly: true, secure: false })).toThrow(
      new TypeError("Invalid value for the sessionid cookie."),
    );
  });

  it("round-trips through readCookie for any cookie-octet value", () => {
    const octet = fc.constantFrom(
      ..."!#$%&'()*+-./0123456789:<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    );
    fc.assert(
      fc.property(fc.string({ unit: octet, maxLength: 64 }), (value) => {
        const line = serializeCookie("sessionid", value, { maxAge: 60, httpOnly: true, secure: false });
        const pair = line.slice(0, line.indexOf(";"));
        expect(read(`a=1; ${pair}; b=2`)).toEqual({ value });
      }),
      { numRuns: 1000 },
    );
  });
});

// --- Property tests: hostile Cookie headers -------------------------------------------------------

const NAMES = ["sessionid", "__Host-sessionid", "csrftoken", "SESSIONID", "sessionid2", " sessionid", ""];
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  // Lone surrogates and every control character.
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.constantFrom('"', '""', '"abc', "=", ";", ",", "\\", " ", "\t", "\r\n", "\u0000", "\u00a0"),
);
const hugeText = fc
  .tuple(fc.constantFrom("a", "=", ";", "\u00e9", " "), fc.integer({ min: 4000, max: 12_000 }))
  .map(([c, n]) => c.repeat(n));
const cookieName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: anyText },
);
const octetText = fc.string({
  unit: fc.constantFrom(..."!#$%&'()*+-./0123456789:<=>?@AZaz[]^_`{|}~"),
  maxLength: 70,
});
const cookieValue = (extra: fc.Arbitrary<string>[] = []) =>
  fc.oneof(
    { weight: 4, arbitrary: anyText },
    { weight: 2, arbitrary: octetText },
    { weight: 1, arbitrary: hugeText },
    ...extra.map((arbitrary) => ({ weight: 2, arbitrary })),
  );
const separator = fc.constantFrom("; ", ";", " ; ", ",", "", ";;", "\t;");

/** A Cookie header: random text, or random pairs (the interesting names included), duplicates likely. */
const cookieHeader = (values: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: hugeText },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.array(fc.tuple(cookieName, values, separator), { minLength: 1, maxLength: 6 }),
          fc.boolean(),
        )
        .map(([pairs, doubled]) => {
          const all = doubled ? [...pairs, ...pairs] : pairs;
          return all.map(([name, value, sep]) => `${name}=${value}${sep}`).join("");
        }),
    },
  );

function expectCookieRead(result: CookieRead): void {
  if (result === null) return;
  if ("value" in result) {
    expect(Object.keys(result)).toEqual(["value"]);
    expect(result.value).toMatch(COOKIE_OCTETS);
  } else {
    expect(Object.keys(result)).toEqual(["error"]);
    expect(["duplicate", "malformed", "too-long"]).toContain(result.error);
  }
}

describe("readCookie on hostile headers (fast-check)", () => {
  it("never throws, and answers null, {value} of cookie-octets, or {error}", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(cookieHeader(cookieValue()), fc.constantFrom(...NAMES.filter(Boolean)), (header, name) => {
        const result = read(header, name);
        expectCookieRead(result);
        seen.add(result === null ? "null" : "value" in result ? "value" : result.error);
        if (!header.includes(name)) expect(result).toBeNull();
        else if (header.length > MAX_COOKIE_HEADER_LENGTH) expect(result).toEqual({ error: "too-long" });
      }),
      { numRuns: 3000 },
    );
    // Every answer was met, so the property is not vacuous.
    expect([...seen].sort()).toEqual(["duplicate", "malformed", "null", "too-long", "value"]);
  });

  it("agrees with a model on well-formed headers: absent → null, once → value, twice → duplicate", () => {
    const token = fc.string({
      unit: fc.constantFrom(
        ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+.^_`|~-",
      ),
      minLength: 1,
      maxLength: 12,
    });
    const octets = fc.string({
      unit: fc.constantFrom(..."!#$%&'()*+-./0123456789:<=>?@ABCZabcz[]^_`{|}~"),
      maxLength: 40,
    });
    const name = fc.oneof(fc.constantFrom("sessionid", "csrftoken", "sessionid2", "Sessionid"), token);
    fc.assert(
      fc.property(fc.array(fc.tuple(name, octets), { maxLength: 8 }), (pairs) => {
        const header = pairs.map(([n, v]) => `${n}=${v}`).join("; ");
        const matches = pairs.filter(([n]) => n === "sessionid");
        const expected: CookieRead =
          matches.length === 0
            ? null
            : matches.length === 1
              ? { value: matches[0]![1] }
              : { error: "duplicate" };
        expect(read(header)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("SessionAuthentication on hostile Cookie headers (fast-check)", () => {
  const users = new MemoryUserStore();
  const store = new MemorySessionStore();
  const plain = new SessionManager({ store, users, secure: false });
  const secure = new SessionManager({ store, users });
  const schemes = [
    new SessionAuthentication({ sessions: plain }),
    new SessionAuthentication({ sessions: secure }),
  ];
  let liveIds: string[] = [];
  let deadId = "";

  beforeAll(async () => {
    const ada = await users.create({ username: "ada", passwordHash: null });
    const ids: string[] = [];
    for (const manager of [plain, secure]) {
      const { headers } = await manager.login(makeRequest(), ada);
      const line = headers.getSetCookie()[0]!;
      ids.push(line.slice(line.indexOf("=") + 1, line.indexOf(";")));
    }
    liveIds = ids;
    const { headers } = await plain.login(makeRequest(), ada);
    const line = headers.getSetCookie()[0]!;
    deadId = line.slice(line.indexOf("=") + 1, line.indexOf(";"));
    await plain.logout(makeRequest({ cookies: { sessionid: deadId } }));
    // The live sessions work: a GET with one of them, alone, is a user.
    expect(
      await schemes[0]!.authenticate(makeRequest({ cookies: { sessionid: liveIds[0]! } })),
    ).toMatchObject({
      user: ada.user,
    });
  });

  const base64url = fc.string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    minLength: 43,
    maxLength: 43,
  });

  /** Runs both schemes; each must answer null or throw an AuthError. Returns what they did. */
  async function anonymousOrAuthError(method: string, header: string): Promise<string[]> {
    const outcomes: string[] = [];
    for (const scheme of schemes) {
      const request = makeRequest({ method, headers: { Cookie: header } });
      let result: unknown;
      try {
        result = await scheme.authenticate(request);
      } catch (error) {
        expect(error).toBeInstanceOf(AuthError);
        const { status, code, detail } = error as AuthError;
        if (status === 401) {
          expect([code, detail]).toEqual(["authentication_failed", "Invalid session cookie."]);
        } else {
          // Only a live session reaches the CSRF check, and only on an unsafe method.
          expect(method).toBe("POST");
          expect([status, code]).toEqual([403, "permission_denied"]);
          expect(detail).toMatch(/^CSRF Failed: /);
        }
        outcomes.push(String(status));
        continue;
      }
      expect(result).toBeNull();
      outcomes.push("null");
    }
    return outcomes;
  }

  it("GET: only null or an AuthError, for never-issued or ended ids among random cookies", async () => {
    const values = cookieValue([base64url, fc.constant(deadId)]);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(cookieHeader(values), async (header) => {
        for (const outcome of await anonymousOrAuthError("GET", header)) seen.add(outcome);
      }),
      { numRuns: 2500 },
    );
    expect([...seen].sort()).toEqual(["401", "null"]);
  });

  it("POST: only null or an AuthError, even with a live session id (no CSRF token is ever sent)", async () => {
    const values = cookieValue([base64url, fc.constant(deadId), fc.constantFrom(...liveIds)]);
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(cookieHeader(values), async (header) => {
        for (const outcome of await anonymousOrAuthError("POST", header)) seen.add(outcome);
      }),
      { numRuns: 2500 },
    );
    // The live ids were reached: some requests failed the CSRF check rather than being anonymous.
    expect([...seen].sort()).toEqual(["401", "403", "null"]);
  });
});
