import { describe, expect, it } from "vitest";
import { AuthenticationFailed, type BaseAuthentication } from "../../src/index.js";
import { checkSchemeContract, makeRequest, SchemeContractError } from "../../src/testing/index.js";

describe("makeRequest", () => {
  it("has Django's test defaults", () => {
    const request = makeRequest();
    expect(request.method).toBe("GET");
    expect(request.url).toBe("http://testserver/");
    expect(request.headers.get("authorization")).toBeNull();
  });

  it("reads headers case-insensitively and keeps any value", () => {
    const request = makeRequest({
      method: "post",
      url: "/api/me/",
      headers: { Authorization: "Basic \u0000\u2603", "X-A": "1" },
    });
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/api/me/");
    expect(request.headers.get("AUTHORIZATION")).toBe("Basic \u0000\u2603");
    expect(request.headers.get("x-a")).toBe("1");
  });

  it("takes header pairs and joins repeated ones", () => {
    const request = makeRequest({
      headers: [
        ["Accept", "a"],
        ["accept", "b"],
      ],
    });
    expect(request.headers.get("Accept")).toBe("a, b");
  });

  it("builds one Cookie header", () => {
    const request = makeRequest({
      headers: { Cookie: "a=1" },
      cookies: { sessionid: "abc", csrftoken: "x" },
    });
    expect(request.headers.get("cookie")).toBe("a=1; sessionid=abc; csrftoken=x");
    expect(makeRequest({ cookies: { b: "2" } }).headers.get("Cookie")).toBe("b=2");
  });
});

function fakeScheme(
  behaviour: (header: string | null) => "null" | "user" | "fail" | "crash",
  challenge: string | null = 'Fake realm="api"',
): BaseAuthentication {
  return {
    name: "fake",
    async authenticate(request) {
      switch (behaviour(request.headers.get("authorization"))) {
        case "null":
          return null;
        case "user":
          return { user: "someone", auth: null };
        case "fail":
          throw new AuthenticationFailed();
        case "crash":
          throw new TypeError("crash");
      }
    },
    ...(challenge === null ? {} : { authenticateHeader: () => challenge }),
  };
}

const ownKeyword = (header: string | null) =>
  header
    ?.trim()
    .split(/[ \t\n\r\v\f]/)[0]
    ?.toLowerCase() === "fake";

describe("checkSchemeContract", () => {
  it("passes a scheme that keeps DRF's contract", async () => {
    await expect(
      checkSchemeContract(
        fakeScheme((h) => (ownKeyword(h) ? "fail" : "null")),
        { runs: 50 },
      ),
    ).resolves.toBeUndefined();
  });

  it("passes a scheme without a header (session-like) given no keyword", async () => {
    await expect(
      checkSchemeContract(
        fakeScheme(() => "null", null),
        { runs: 50 },
      ),
    ).resolves.toBeUndefined();
  });

  type Behaviour = (header: string | null) => "null" | "user" | "fail" | "crash";
  it.each<[string, Behaviour]>([
    ["a user for garbage", (h: string | null) => (ownKeyword(h) ? "user" : "null")],
    ["an unexpected error", (h: string | null) => (ownKeyword(h) ? "crash" : "null")],
    ["null for its own malformed header", () => "null"],
    ["an error for a foreign keyword", (h: string | null) => (h === null ? "null" : "fail")],
    ["an error without any header", () => "fail"],
  ])("catches a scheme that gives %s", async (_case, behaviour) => {
    const error = await checkSchemeContract(fakeScheme(behaviour), { runs: 20, seed: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SchemeContractError);
    expect((error as Error).message).toMatch(/^Scheme "fake" .* \(seed 1\)\.$/);
  });

  it("names a scheme that answers undefined without a header (DRF's contract is None: null)", async () => {
    const scheme = { name: "lax", authenticate: async () => undefined as never };
    await expect(checkSchemeContract(scheme, { runs: 5, seed: 1 })).rejects.toThrow(
      new SchemeContractError(
        'Scheme "lax" returned undefined (return null) for no header; expected null (seed 1).',
      ),
    );
  });

  it("uses an explicit keyword", async () => {
    const scheme = fakeScheme(
      (h) => (/^apikey(?![^ \t\n\r\v\f])/i.test(h?.trim() ?? "") ? "fail" : "null"),
      null,
    );
    await expect(checkSchemeContract(scheme, { keyword: "ApiKey", runs: 20 })).resolves.toBeUndefined();
  });
});

describe("tokenAuthHeader", () => {
  it("builds DRF's Token header, or another keyword", async () => {
    const { tokenAuthHeader } = await import("../../src/testing/index.js");
    expect(tokenAuthHeader("pct_abc")).toBe("Token pct_abc");
    expect(tokenAuthHeader("pct_abc", "Bearer")).toBe("Bearer pct_abc");
  });
});

describe("checkSchemeContract for a keyword-less header scheme (X-API-Key)", () => {
  const KEYS = new Map([["k-123", { id: "1" }]]);

  // The shape docs/getting-started.md shows: any value in the header is an attempt.
  class ApiKey implements BaseAuthentication<{ id: string }, null> {
    readonly name = "api-key";
    async authenticate(request: { headers: { get(name: string): string | null } }) {
      const key = request.headers.get("x-api-key");
      if (key === null) return null;
      const user = KEYS.get(key);
      if (!user) throw new AuthenticationFailed("Invalid API key.");
      return { user, auth: null };
    }
    authenticateHeader() {
      return 'ApiKey realm="api"';
    }
  }

  it("passes a correct scheme with headerName alone, its challenge's first word notwithstanding", async () => {
    await expect(
      checkSchemeContract(new ApiKey(), { headerName: "x-api-key", runs: 50 }),
    ).resolves.toBeUndefined();
    await expect(
      checkSchemeContract(new ApiKey(), { headerName: "X-API-Key", runs: 50 }),
    ).resolves.toBeUndefined();
  });

  it("refuses a scheme that reads a value it does not like as 'no credentials'", async () => {
    class Lenient extends ApiKey {
      override async authenticate(request: { headers: { get(name: string): string | null } }) {
        if (request.headers.get("x-api-key")?.startsWith("Foreign")) return null;
        return super.authenticate(request);
      }
    }
    await expect(checkSchemeContract(new Lenient(), { headerName: "x-api-key", seed: 1 })).rejects.toThrow(
      new SchemeContractError(
        'Scheme "api-key" returned null for x-api-key: "Foreign abc"; expected an AuthError (seed 1).',
      ),
    );
  });

  it("refuses a scheme that takes Authorization credentials it was not written for", async () => {
    class Greedy extends ApiKey {
      override async authenticate(request: { headers: { get(name: string): string | null } }) {
        if (request.headers.get("authorization") !== null) throw new AuthenticationFailed();
        return super.authenticate(request);
      }
    }
    await expect(checkSchemeContract(new Greedy(), { headerName: "x-api-key", seed: 2 })).rejects.toThrow(
      new SchemeContractError(
        'Scheme "api-key" threw AuthenticationFailed: Incorrect authentication credentials. for authorization: "Basic YWJjOmRlZg=="; expected null (seed 2).',
      ),
    );
  });

  it("refuses a scheme that lets any key in", async () => {
    class Open extends ApiKey {
      override async authenticate(request: { headers: { get(name: string): string | null } }) {
        return request.headers.get("x-api-key") === null ? null : { user: { id: "1" }, auth: null };
      }
    }
    await expect(checkSchemeContract(new Open(), { headerName: "x-api-key", seed: 3 })).rejects.toThrow(
      SchemeContractError,
    );
  });

  it("keeps the keyword mode when a keyword is given for a header of the scheme's own", async () => {
    class Keyed extends ApiKey {
      override async authenticate(request: { headers: { get(name: string): string | null } }) {
        const value = request.headers.get("x-api-key");
        if (value === null || !/^apikey(\s|$)/i.test(value.trimStart())) return null;
        throw new AuthenticationFailed();
      }
    }
    await expect(
      checkSchemeContract(new Keyed(), { headerName: "x-api-key", keyword: "ApiKey", runs: 20 }),
    ).resolves.toBeUndefined();
  });
});
