import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsrfPolicy } from "../../src/index.js";
import {
  CSRF_REASONS,
  maskCsrfSecret,
  newCsrfSecret,
  sessionCsrfSecret,
  unmaskCsrfToken,
} from "../../src/sessions/index.js";
import { makeRequest } from "../../src/testing/index.js";

const SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF";
// Django's _mask_cipher_secret(SECRET) with the mask "0123456789ZYXWVUTSRQPONMLKJIHGFE", computed in Python.
const DJANGO_MASKED = "0123456789ZYXWVUTSRQPONMLKJIHGFE02468acegi9999999999999999999999";
const OTHER_SECRET = "9fK2pQ7xLm0Zt4Rb8Wc1Vn6Ys3Hd5Ja0";

const policy = new CsrfPolicy({}, { secure: false });

function post(headers: Record<string, string>, options: { method?: string; url?: string } = {}) {
  return makeRequest({
    method: options.method ?? "POST",
    url: options.url ?? "http://testserver/api/",
    headers,
  });
}

describe("CSRF tokens: Django's masking", () => {
  it("unmasks Django's masked token to its secret", () => {
    expect(unmaskCsrfToken(DJANGO_MASKED)).toBe(SECRET);
    expect(unmaskCsrfToken("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzyE9rOfwWaLpoStgAxlBqkMvnRs6Cu8zp")).toBe(
      OTHER_SECRET,
    );
  });

  it("masks to 64 characters of [a-zA-Z0-9], differently every time, and round-trips", () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const secret = newCsrfSecret();
        const a = maskCsrfSecret(secret);
        const b = maskCsrfSecret(secret);
        expect(a).toMatch(/^[a-zA-Z0-9]{64}$/);
        expect(a).not.toBe(b);
        expect(unmaskCsrfToken(a)).toBe(secret);
        expect(unmaskCsrfToken(b)).toBe(secret);
      }),
      { numRuns: 500 },
    );
  });

  it("makes 32-character secrets of [a-zA-Z0-9]", () => {
    expect(newCsrfSecret()).toMatch(/^[a-zA-Z0-9]{32}$/);
    expect(newCsrfSecret()).not.toBe(newCsrfSecret());
  });

  it("derives a session's secret one-way and stably from its id", async () => {
    const id = "x9JzFGnclozi3vOQ6ObsToFTF7FlWvqClKi8ZwBN5iA";
    // Pinned (computed in Python: sha256("portcullis.csrf:" + id), each byte mod 62 into [a-zA-Z0-9]),
    // so every instance and runtime sharing a session store derives the same secret.
    expect(await sessionCsrfSecret(id)).toBe("9o4jq2R3ddzGAE3Q8jA1Berocv2uCv4O");
    expect(await sessionCsrfSecret(id)).toBe(await sessionCsrfSecret(id));
    expect(await sessionCsrfSecret(id)).not.toBe(await sessionCsrfSecret(`${id.slice(0, -1)}B`));
    expect(await sessionCsrfSecret(id)).not.toContain(id.slice(0, 8));
  });
});

describe("CsrfPolicy.check: Django's process_view, in order, with its reasons", () => {
  const cookie = `csrftoken=${SECRET}`;

  it.each(["GET", "HEAD", "OPTIONS", "TRACE"])("lets the safe method %s through unchecked", (method) => {
    expect(policy.check(post({}, { method }))).toBeNull();
  });

  it.each(["get", "TrAcE", "oPTIOnS", "hEaD", "POST", "PUT", "PATCH", "DELETE", "PROPFIND"])(
    "checks %s (safe methods match case-sensitively)",
    (method) => {
      // makeRequest upper-cases the method; a hand-made view keeps it as sent.
      const request = { ...post({}), method };
      expect(policy.check(request)).toBe("CSRF cookie not set.");
    },
  );

  it("accepts the unmasked secret, a masked token and the form field", () => {
    expect(policy.check(post({ cookie, "X-CSRFToken": SECRET }))).toBeNull();
    expect(policy.check(post({ cookie, "X-CSRFToken": DJANGO_MASKED }))).toBeNull();
    expect(policy.check(post({ cookie, "X-CSRFToken": maskCsrfSecret(SECRET) }))).toBeNull();
    expect(policy.check(post({ cookie }), { formToken: maskCsrfSecret(SECRET) })).toBeNull();
    // A 64-character (masked) cookie, as Django before 4.1 stored it, is unmasked too.
    expect(policy.check(post({ cookie: `csrftoken=${DJANGO_MASKED}`, "X-CSRFToken": SECRET }))).toBeNull();
  });

  it("takes the form field first, and the header when the field is empty (Django)", () => {
    expect(policy.check(post({ cookie, "X-CSRFToken": SECRET }), { formToken: "" })).toBeNull();
    expect(policy.check(post({ cookie, "X-CSRFToken": SECRET }), { formToken: OTHER_SECRET })).toBe(
      "CSRF token from POST incorrect.",
    );
    // Only POST bodies are read for the field, as Django's request.POST.
    expect(policy.check(post({ cookie }, { method: "PUT" }), { formToken: SECRET })).toBe(
      "CSRF token missing.",
    );
  });

  it.each<[string, Record<string, string>, string]>([
    ["no cookie", { "X-CSRFToken": SECRET }, "CSRF cookie not set."],
    [
      "a cookie sent twice",
      { cookie: `${cookie}; ${cookie}`, "X-CSRFToken": SECRET },
      "CSRF cookie not set.",
    ],
    [
      "a short cookie",
      { cookie: "csrftoken=abc", "X-CSRFToken": SECRET },
      "CSRF cookie has incorrect length.",
    ],
    [
      "a cookie with bad characters",
      { cookie: `csrftoken=${"-".repeat(32)}`, "X-CSRFToken": SECRET },
      "CSRF cookie has invalid characters.",
    ],
    ["no token", { cookie }, "CSRF token missing."],
    [
      "the cookie alone (naive double submit)",
      { cookie: `${cookie}; X-CSRFToken=${SECRET}` },
      "CSRF token missing.",
    ],
    [
      "an empty header",
      { cookie, "X-CSRFToken": "" },
      "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
    ],
    [
      "a short token",
      { cookie, "X-CSRFToken": "abc" },
      "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
    ],
    [
      "a 33-character token",
      { cookie, "X-CSRFToken": `${SECRET}a` },
      "CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.",
    ],
    [
      "a token with bad characters",
      { cookie, "X-CSRFToken": `${SECRET.slice(1)}!` },
      "CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.",
    ],
    [
      "another secret",
      { cookie, "X-CSRFToken": OTHER_SECRET },
      "CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
    ],
    [
      "another secret, masked",
      { cookie, "X-CSRFToken": maskCsrfSecret(OTHER_SECRET) },
      "CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
    ],
  ])("refuses %s", (_, headers, reason) => {
    expect(policy.check(post(headers))).toBe(reason);
  });

  it("names a configured header as Django names CSRF_HEADER_NAME: hyphens, then Python's str.title()", () => {
    const named = (headerName: string) => {
      const custom = new CsrfPolicy({ headerName }, { secure: false });
      return custom.check(post({ cookie, [headerName]: OTHER_SECRET }));
    };
    expect(named("X-XSRF-TOKEN")).toBe("CSRF token from the 'X-Xsrf-Token' HTTP header incorrect.");
    expect(named("x_csrf2token")).toBe("CSRF token from the 'X-Csrf2Token' HTTP header incorrect.");
    expect(named("X-Csrf'Token")).toBe(`CSRF token from the "X-Csrf'Token" HTTP header incorrect.`);
    expect(CSRF_REASONS.badToken("has incorrect length", null)).toBe(
      "CSRF token from POST has incorrect length.",
    );
  });

  it("binds the cookie to the session's own secret when given", () => {
    const request = post({ cookie, "X-CSRFToken": SECRET });
    expect(policy.check(request, { sessionSecret: SECRET })).toBeNull();
    // A cookie and header that agree, but belong to another session (or were planted): refused.
    expect(policy.check(request, { sessionSecret: OTHER_SECRET })).toBe(
      "CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
    );
  });

  describe("Origin", () => {
    it("accepts the request's own origin and refuses any other, before looking at the token", () => {
      expect(policy.check(post({ cookie, "X-CSRFToken": SECRET, Origin: "http://testserver" }))).toBeNull();
      for (const origin of [
        "http://evil.example",
        "https://testserver",
        "http://testserver:8080",
        "http://testserver.evil.example",
        "null",
      ]) {
        expect(policy.check(post({ cookie, "X-CSRFToken": SECRET, Origin: origin }))).toBe(
          `Origin checking failed - ${origin} does not match any trusted origins.`,
        );
        expect(policy.check(post({ Origin: origin }))).toBe(CSRF_REASONS.badOrigin(origin));
      }
    });

    it("takes the own origin from Host when the URL is a path", () => {
      const request = makeRequest({
        method: "POST",
        url: "/api/",
        headers: {
          Host: "api.example.com:8000",
          Origin: "http://api.example.com:8000",
          cookie,
          "X-CSRFToken": SECRET,
        },
      });
      expect(policy.check(request)).toBeNull();
    });

    it("trusts CSRF_TRUSTED_ORIGINS, exactly or by subdomain wildcard", () => {
      const trusting = new CsrfPolicy(
        { trustedOrigins: ["https://app.example.com", "https://*.example.org", "http://localhost:5173"] },
        { secure: false },
      );
      const check = (origin: string) =>
        trusting.check(post({ cookie, "X-CSRFToken": SECRET, Origin: origin }));
      expect(check("https://app.example.com")).toBeNull();
      expect(check("http://localhost:5173")).toBeNull();
      expect(check("https://example.org")).toBeNull();
      expect(check("https://a.b.example.org")).toBeNull();
      expect(check("http://app.example.com")).toBe(CSRF_REASONS.badOrigin("http://app.example.com"));
      expect(check("https://app.example.com.attacker.com")).toBe(
        CSRF_REASONS.badOrigin("https://app.example.com.attacker.com"),
      );
      expect(check("https://example.org.attacker.com")).toBe(
        CSRF_REASONS.badOrigin("https://example.org.attacker.com"),
      );
      expect(check("http://www.example.org")).toBe(CSRF_REASONS.badOrigin("http://www.example.org"));
    });

    it("refuses a trusted origin without a scheme at construction (Django 4.0's check)", () => {
      expect(() => new CsrfPolicy({ trustedOrigins: ["example.com"] })).toThrow(TypeError);
      expect(() => new CsrfPolicy({ trustedOrigins: ["https://example.com/path"] })).toThrow(TypeError);
    });
  });

  describe("Sec-Fetch-Site", () => {
    it("refuses cross-site even without an Origin", () => {
      expect(policy.check(post({ cookie, "X-CSRFToken": SECRET, "Sec-Fetch-Site": "cross-site" }))).toBe(
        "Sec-Fetch-Site checking failed - cross-site request.",
      );
    });

    it("accepts same-origin, same-site and none", () => {
      for (const site of ["same-origin", "same-site", "none"]) {
        expect(policy.check(post({ cookie, "X-CSRFToken": SECRET, "Sec-Fetch-Site": site }))).toBeNull();
      }
    });

    it("believes cross-site over a same-origin Origin, but not over an explicitly trusted one", () => {
      const headers = { cookie, "X-CSRFToken": SECRET, "Sec-Fetch-Site": "cross-site" };
      expect(policy.check(post({ ...headers, Origin: "http://testserver" }))).toBe(CSRF_REASONS.crossSite);
      const trusting = new CsrfPolicy({ trustedOrigins: ["https://app.example.com"] }, { secure: false });
      expect(trusting.check(post({ ...headers, Origin: "https://app.example.com" }))).toBeNull();
    });
  });

  describe("Referer, for HTTPS requests without Origin", () => {
    const MALFORMED = "Referer checking failed - Referer is malformed.";
    const https = (headers: Record<string, string>) =>
      post({ cookie, "X-CSRFToken": SECRET, ...headers }, { url: "https://api.example.com/login/" });
    const trusting = new CsrfPolicy({ trustedOrigins: ["https://*.example.org", "https://app.example.net"] });

    it.each<[string, Record<string, string>, string | null]>([
      ["no Referer", {}, "Referer checking failed - no Referer."],
      ["a malformed Referer", { Referer: "not a url" }, "Referer checking failed - Referer is malformed."],
      [
        "a Referer without a host",
        { Referer: "https:///path" },
        "Referer checking failed - Referer is malformed.",
      ],
      [
        "an http Referer",
        { Referer: "http://api.example.com/page" },
        "Referer checking failed - Referer is insecure while host is secure.",
      ],
      [
        "another host",
        { Referer: "https://evil.example/page" },
        "Referer checking failed - https://evil.example/page does not match any trusted origins.",
      ],
      [
        "a suffix attack",
        { Referer: "https://api.example.com.evil.example/" },
        "Referer checking failed - https://api.example.com.evil.example/ does not match any trusted origins.",
      ],
      ["an unclosed IPv6 bracket (urlsplit's ValueError)", { Referer: "https://[" }, MALFORMED],
      ["a closing bracket alone", { Referer: "https://]/" }, MALFORMED],
      ["a bracket inside the host", { Referer: "https://api.example.com]/" }, MALFORMED],
      ["a bracketed host that is not an address", { Referer: "https://[api.example.com]/" }, MALFORMED],
      ["an IPv4 address in brackets", { Referer: "https://[127.0.0.1]/" }, MALFORMED],
      ["text before the bracket", { Referer: "https://a[::1]/" }, MALFORMED],
      ["text between the bracket and the port", { Referer: "https://[::1]x:443/" }, MALFORMED],
      ["a scheme only", { Referer: "https:" }, MALFORMED],
      ["no scheme", { Referer: "//api.example.com/page" }, MALFORMED],
      [
        "another host, quoted as Python's geturl() writes it",
        { Referer: "HTTPS://evil.example/pa\tge?#" },
        "Referer checking failed - https://evil.example/page does not match any trusted origins.",
      ],
      [
        "a well-formed IPv6 Referer from another host",
        { Referer: "https://[::1]:8443/x" },
        "Referer checking failed - https://[::1]:8443/x does not match any trusted origins.",
      ],
      ["the same host", { Referer: "https://api.example.com/page?x=1" }, null],
      ["a trusted wildcard host", { Referer: "https://www.example.org/" }, null],
      ["a trusted exact host", { Referer: "https://app.example.net/x" }, null],
    ])("%s", (_, headers, reason) => {
      expect(trusting.check(https(headers))).toBe(reason);
    });

    it("accepts a bracketed IPv6 Referer naming the request's own host", () => {
      const request = post(
        { cookie, "X-CSRFToken": SECRET, Referer: "https://[2001:db8::1]/page" },
        { url: "https://[2001:db8::1]/login/" },
      );
      expect(policy.check(request)).toBeNull();
    });

    it("refuses a host that NFKC turns into another URL (U+2100 is a/c) as malformed", () => {
      // Fetch headers hold latin-1 only; a framework's own header object may hold any text.
      const headers = new Map([
        ["cookie", cookie],
        ["x-csrftoken", SECRET],
        ["referer", "https://\u2100.api.example.com/"],
      ]);
      const request = {
        method: "POST",
        url: "https://api.example.com/login/",
        headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
      };
      expect(policy.check(request)).toBe("Referer checking failed - Referer is malformed.");
    });

    it("skips the Referer when an Origin is present, and for plain http", () => {
      expect(policy.check(https({ Origin: "https://api.example.com" }))).toBeNull();
      expect(policy.check(post({ cookie, "X-CSRFToken": SECRET }))).toBeNull();
    });
  });
});

describe("CsrfPolicy: the cookie", () => {
  it("writes Django's csrftoken cookie: readable by scripts, a year, Lax, Path=/", () => {
    const line = new CsrfPolicy().cookie(SECRET);
    expect(line).toMatch(
      new RegExp(`^csrftoken=${SECRET}; Max-Age=31449600; Expires=[^;]+ GMT; Path=/; Secure; SameSite=Lax$`),
    );
    expect(line).not.toContain("HttpOnly");
    expect(line).not.toContain("Domain");
    expect(policy.cookie(SECRET)).not.toContain("Secure");
  });

  it("writes a browser-session cookie, without Max-Age or Expires, for cookieAge: null (CSRF_COOKIE_AGE = None)", () => {
    expect(new CsrfPolicy({ cookieAge: null }).cookie(SECRET)).toBe(
      `csrftoken=${SECRET}; Path=/; Secure; SameSite=Lax`,
    );
    expect(
      new CsrfPolicy({ cookieAge: null, cookieName: "XSRF-TOKEN" }, { secure: false }).cookie(SECRET),
    ).toBe(`XSRF-TOKEN=${SECRET}; Path=/; SameSite=Lax`);
    // Left out, the age is Django's default year; null is not read as "left out".
    expect(new CsrfPolicy({ cookieAge: undefined }).cookie(SECRET)).toContain("; Max-Age=31449600; Expires=");
  });

  it("honours the cookie, header and field names", () => {
    const custom = new CsrfPolicy(
      { cookieName: "XSRF-TOKEN", headerName: "X-XSRF-TOKEN", fieldName: "_csrf", cookieAge: "1d" },
      { secure: false },
    );
    expect(custom.cookie(SECRET)).toMatch(/^XSRF-TOKEN=\w{32}; Max-Age=86400;/);
    expect(custom.check(post({ cookie: `XSRF-TOKEN=${SECRET}`, "X-XSRF-TOKEN": SECRET }))).toBeNull();
    expect(custom.check(post({ cookie: `XSRF-TOKEN=${SECRET}`, "X-CSRFToken": SECRET }))).toBe(
      "CSRF token missing.",
    );
    expect(custom.fieldName).toBe("_csrf");
  });

  it("reads the secret back, unmasking a 64-character cookie, and ignores a malformed one", () => {
    expect(policy.readSecret(post({ cookie: `csrftoken=${SECRET}` }))).toBe(SECRET);
    expect(policy.readSecret(post({ cookie: `csrftoken=${DJANGO_MASKED}` }))).toBe(SECRET);
    expect(policy.readSecret(post({ cookie: "csrftoken=short" }))).toBeNull();
    expect(policy.readSecret(post({}))).toBeNull();
  });
});
