import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_AUTHORIZATION_LENGTH, readAuthorization } from "../../src/adapter-kit.js";
import { usualAuthorization } from "../../src/core/authorization.js";
import { AuthenticationFailed } from "../../src/index.js";
import { makeRequest } from "../../src/testing/index.js";

const read = (header: string | undefined, keywords: string[] = ["Basic"]) =>
  readAuthorization(
    makeRequest({ headers: header === undefined ? {} : { Authorization: header } }),
    keywords,
  );

describe("readAuthorization", () => {
  it.each([
    [undefined],
    [""],
    ["   "],
    ["Bearer abc"],
    ["Basicabc"],
    ["Basic\u00a0abc"], // NO-BREAK SPACE is not whitespace to DRF's bytes.split()
    ["Ba sic abc"],
  ])("returns null for %j", (header) => {
    expect(read(header)).toBeNull();
  });

  it.each([
    ["Basic abc", ["abc"]],
    ["basic abc", ["abc"]],
    ["BASIC abc", ["abc"]],
    ["bAsIc abc", ["abc"]],
    ["  Basic   abc  ", ["abc"]],
    ["Basic\tabc", ["abc"]],
    ["Basic\r\n abc", ["abc"]],
    ["Basic\u000babc\u000cdef", ["abc", "def"]],
    ["Basic", []],
    ["Basic ", []],
    ["Basic a b  c", ["a", "b", "c"]],
  ])("splits %j on runs of ASCII whitespace like DRF", (header, credentials) => {
    expect(read(header)).toEqual({ keyword: "Basic", credentials });
  });

  it("compares keywords in ASCII only (no Unicode case folding)", () => {
    // U+212A KELVIN SIGN lower-cases to "k" in JavaScript; Python's bytes.lower() leaves it alone.
    expect(read("To\u212Aen abc", ["Token"])).toBeNull();
    expect(read("TOKEN abc", ["Bearer", "Token"])).toEqual({ keyword: "Token", credentials: ["abc"] });
  });

  it("fails an oversized header with its own keyword, and ignores a foreign one", () => {
    const long = `Basic ${"A".repeat(MAX_AUTHORIZATION_LENGTH)}`;
    expect(() => read(long)).toThrow(AuthenticationFailed);
    try {
      read(long);
    } catch (error) {
      expect(error).toMatchObject({ status: 401, code: "authentication_failed" });
    }
    expect(read(`Bearer ${"A".repeat(MAX_AUTHORIZATION_LENGTH)}`)).toBeNull();
    const exact = `Basic ${"A".repeat(MAX_AUTHORIZATION_LENGTH - 6)}`;
    expect(exact.length).toBe(MAX_AUTHORIZATION_LENGTH);
    expect(read(exact)?.credentials[0]).toHaveLength(MAX_AUTHORIZATION_LENGTH - 6);
  });

  it("reads another header when asked", () => {
    const request = makeRequest({ headers: { "X-Auth": "Token abc", Authorization: "Basic xyz" } });
    expect(readAuthorization(request, ["Token"], "x-auth")).toEqual({
      keyword: "Token",
      credentials: ["abc"],
    });
  });

  it("only ever returns null, credentials, or throws AuthenticationFailed (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (header) => {
        try {
          const parsed = read(header, ["Basic", "Token"]);
          if (parsed !== null) {
            expect(["Basic", "Token"]).toContain(parsed.keyword);
            for (const part of parsed.credentials) expect(part).not.toMatch(/^$|[ \t\n\r\v\f]/);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(AuthenticationFailed);
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe("usualAuthorization", () => {
  const usual = usualAuthorization(["Token", "Bearer"], "A-Za-z0-9_.-");
  const request = (header: string) => makeRequest({ headers: { Authorization: header } });

  it.each([
    ["Token abc", "abc"],
    ["bearer a.b-c_d", "a.b-c_d"],
    ["TOKEN x", "x"],
  ])("takes %j", (header, credential) => {
    expect(usual(request(header))).toBe(credential);
  });

  it.each([
    ["Token  abc"],
    [" Token abc"],
    ["Token abc "],
    ["Token a+c"],
    ["Token "],
    ["Tokens abc"],
    ["Basic abc"],
    ["To\u212Aen abc"],
    [`Token ${"a".repeat(MAX_AUTHORIZATION_LENGTH)}`],
  ])("leaves %j to the general reader", (header) => {
    expect(usual(request(header))).toBeNull();
  });

  it("escapes the keywords: a keyword with regex characters matches only itself", () => {
    const odd = usualAuthorization(["a.b*"], "a-z");
    expect(odd(request("a.b* x"))).toBe("x");
    expect(odd(request("axbbb x"))).toBeNull();
  });

  it("answers exactly the one credential readAuthorization would (property, 10,000 runs)", () => {
    const header = fc
      .tuple(
        fc.constantFrom("Token", "Bearer", "tokEN", "To\u212Aen", "Basic", ""),
        fc.constantFrom(" ", "  ", "\t", ""),
        fc.array(fc.constantFrom(..."ab.+_-= \t\u212A"), { maxLength: 12 }),
      )
      .map(([keyword, space, chars]) => `${keyword}${space}${chars.join("")}`);
    fc.assert(
      fc.property(header, (value) => {
        const taken = usual(request(value));
        if (taken === null) return;
        const general = readAuthorization(request(value), ["Token", "Bearer"]);
        expect(general?.credentials).toEqual([taken]);
        expect(/^[A-Za-z0-9_.-]+$/.test(taken)).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });
});
