import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthenticationFailed,
  authenticate,
  BasicAuthentication,
  hashPassword,
  MemoryUserStore,
  SchemeError,
  toResponse,
  verifyPassword,
} from "../../src/index.js";
import { KyselyUserStore, migrateToLatest } from "../../src/stores/kysely/index.js";
import { basicAuthHeader, checkSchemeContract, makeRequest } from "../../src/testing/index.js";
import { failure } from "../failure.js";
import { type PostgresSchema, postgresSchema, postgresSkipReason } from "../stores/kysely/databases.js";
import rfc7617 from "../vectors/rfc7617.json" with { type: "json" };

const withAuth = (authorization: string) => makeRequest({ headers: { Authorization: authorization } });
const encode = (text: string) => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}`;

/** A scheme whose verify records what it saw and accepts one pair. */
function verifying(expected: [string, string] = ["ada", "secret"]) {
  const seen: Array<[string, string]> = [];
  const basic = new BasicAuthentication<{ name: string }>({
    verify: async (username, password) => {
      seen.push([username, password]);
      return username === expected[0] && password === expected[1] ? { name: username } : null;
    },
  });
  return { basic, seen };
}

describe("BasicAuthentication: parsing (RFC 7617, DRF)", () => {
  it.each(rfc7617.vectors)("decodes $note", async ({ header, username, password }) => {
    const { basic, seen } = verifying([username, password]);
    expect(await basic.authenticate(withAuth(header))).toEqual({ user: { name: username }, auth: null });
    expect(seen).toEqual([[username, password]]);
  });

  it("builds the same headers as the vectors", () => {
    expect(basicAuthHeader("Aladdin", "open sesame")).toBe("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    expect(basicAuthHeader("test", "123£")).toBe("Basic dGVzdDoxMjPCow==");
    expect(() => basicAuthHeader("a:b", "c")).toThrow(TypeError);
  });

  it.each([["basic"], ["BASIC"], ["bAsIc"]])("accepts the keyword %s", async (keyword) => {
    const { basic } = verifying();
    const header = basicAuthHeader("ada", "secret").replace("Basic", keyword);
    expect(await basic.authenticate(withAuth(header))).toEqual({ user: { name: "ada" }, auth: null });
  });

  it.each([[undefined], [""], ["Bearer abc"], ["Token YWRhOnNlY3JldA=="], ["Basicx YWRhOnNlY3JldA=="]])(
    "returns null for %j",
    async (header) => {
      const { basic, seen } = verifying();
      const request = makeRequest({ headers: header === undefined ? {} : { Authorization: header } });
      expect(await basic.authenticate(request)).toBeNull();
      expect(seen).toEqual([]);
    },
  );

  it.each([
    ["Basic", "Invalid basic header. No credentials provided."],
    ["Basic ", "Invalid basic header. No credentials provided."],
    ["Basic \t ", "Invalid basic header. No credentials provided."],
    ["Basic foo bar", "Invalid basic header. Credentials string should not contain spaces."],
    ["Basic a b", "Invalid basic header. Credentials string should not contain spaces."],
    ["Basic =a=", "Invalid basic header. Credentials not correctly base64 encoded."],
    ["Basic !!!notbase64", "Invalid basic header. Credentials not correctly base64 encoded."],
    ["Basic dXNlcg==", "Invalid basic header. Credentials not correctly base64 encoded."],
    ["Basic /w==", "Invalid basic header. Credentials not correctly base64 encoded."],
    ["Basic YWRhOnNlY3JldA", "Invalid basic header. Credentials not correctly base64 encoded."],
    ["Basic YWRhOnNlY3JldA===", "Invalid basic header. Credentials not correctly base64 encoded."],
    ["Basic YWRh-nNlY3JldA==", "Invalid basic header. Credentials not correctly base64 encoded."],
    ["Basic YWRhOnNl\u00ffY3JldA==", "Invalid basic header. Credentials not correctly base64 encoded."],
    ["Basic abc=def=", "Invalid basic header. Credentials not correctly base64 encoded."],
    [`Basic ${"A".repeat(1 << 20)}`, undefined],
  ])("fails %j with DRF's message", async (header, detail) => {
    const { basic, seen } = verifying();
    const error = await failure(basic.authenticate(withAuth(header)));
    expect(error.status).toBe(401);
    expect(error.code).toBe("authentication_failed");
    if (detail !== undefined) expect(error.detail).toBe(detail);
    expect(seen).toEqual([]);
  });

  it("passes the password exactly: no trimming, truncation or case folding", async () => {
    const password = ` ${"Pässwörd:".repeat(20)}\u0001\u00ff `;
    const { basic, seen } = verifying(["ada", password]);
    expect(await basic.authenticate(withAuth(encode(`ada:${password}`)))).not.toBeNull();
    expect(seen[0]![1]).toBe(password);
  });

  it("only ever answers null or AuthenticationFailed to random headers (property, 10,000 runs)", async () => {
    const { basic } = verifying();
    const header = fc.oneof(
      fc.string({ unit: "binary", maxLength: 100 }),
      fc.string({ maxLength: 100 }).map((s) => `Basic ${s}`),
      fc.uint8Array({ maxLength: 60 }).map((bytes) => `Basic ${btoa(String.fromCharCode(...bytes))}`),
      fc
        .tuple(fc.constantFrom("Basic", "basic", "BASIC"), fc.string({ unit: "binary-ascii", maxLength: 60 }))
        .map(([keyword, rest]) => `${keyword}${rest}`),
    );
    await fc.assert(
      fc.asyncProperty(header, async (value) => {
        try {
          const result = await basic.authenticate(withAuth(value));
          expect(result === null || (result.user.name === "ada" && value.length > 0)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(AuthenticationFailed);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it.each([
    ["Basic YWRh OmI=", "Invalid basic header. Credentials string should not contain spaces.", []],
    ["Basic YWRh\tOmI", "Invalid basic header. Credentials string should not contain spaces.", []],
    ["Basic YW\nRhOmJj", "Invalid basic header. Credentials string should not contain spaces.", []],
    ["Basic YWRhOmI", "Invalid basic header. Credentials not correctly base64 encoded.", []],
    ["Basic YWRhOmI\v", "Invalid basic header. Credentials not correctly base64 encoded.", []],
    ["Basic YWRhOmJj\f", "Invalid username/password.", [["ada", "bc"]]],
    ["Basic \rYWRhOmJj", "Invalid username/password.", [["ada", "bc"]]],
    ["Basic YWRhOm==", "Invalid username/password.", [["ada", ""]]],
  ])(
    "answers %j as DRF, where atob() alone would skip whitespace or add padding",
    async (header, detail, pairs) => {
      const { basic, seen } = verifying();
      expect((await failure(basic.authenticate(withAuth(header)))).detail).toBe(detail);
      expect(seen).toEqual(pairs);
    },
  );

  it("answers every header as the general reader with a strict base64 check does (property, 10,000 runs)", async () => {
    const reference = (header: string): string => {
      const parts = header
        .slice(5)
        .split(/[ \t\n\r\v\f]+/)
        .filter((part) => part !== "");
      if (parts.length === 0) return "No credentials provided.";
      if (parts.length > 1) return "Credentials string should not contain spaces.";
      const [credentials] = parts as [string];
      if (credentials.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(credentials)) return "base64";
      // DRF: the bytes as UTF-8, or latin-1 (the binary string itself) when they are not valid UTF-8.
      const binary = atob(credentials);
      let text = binary;
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
          Uint8Array.from(binary, (c) => c.charCodeAt(0)),
        );
      } catch {}
      const colon = text.indexOf(":");
      if (colon === -1) return "base64";
      // A NUL anywhere is refused as invalid credentials before verify is asked.
      return text.includes("\0") ? "nul" : `${text.slice(0, colon)}|${text.slice(colon + 1)}`;
    };
    const seen: string[] = [];
    const basic = new BasicAuthentication({
      verify: (username, password) => {
        seen.push(`${username}|${password}`);
        return null;
      },
    });
    const header = fc
      .array(fc.constantFrom(..."YWRhOmJjZA+/=:  \t\n\v\f\r"), { maxLength: 24 })
      .map((chars) => `Basic ${chars.join("")}`);
    await fc.assert(
      fc.asyncProperty(header, async (value) => {
        seen.length = 0;
        const detail = (await failure(basic.authenticate(withAuth(value)))).detail;
        const expected = reference(value);
        if (expected.includes("|") || expected === "nul") {
          expect(detail).toBe("Invalid username/password.");
          expect(seen).toEqual(expected === "nul" ? [] : [expected]);
        } else {
          expect(detail).toBe(
            expected === "base64"
              ? "Invalid basic header. Credentials not correctly base64 encoded."
              : `Invalid basic header. ${expected}`,
          );
          expect(seen).toEqual([]);
        }
      }),
      { numRuns: 10_000, examples: [["Basic YOmAhAAAOmJj"]] },
    );
  });

  it("decodes the bytes as UTF-8 on the fast path too (the property's alphabet can spell U+9004)", async () => {
    // 60 e9 80 84 41 42 3a 62 63: valid UTF-8, so DRF reads "`\u9004AB", not the latin-1 "`Ã©\x80\x84AB".
    const { basic, seen } = verifying();
    expect((await failure(basic.authenticate(withAuth("Basic YOmAhEFCOmJj")))).detail).toBe(
      "Invalid username/password.",
    );
    expect(seen).toEqual([["`\u9004AB", "bc"]]);
    // The property's own example, 60 e9 80 84 00 00 3a 62 63, holds NULs: refused before verify.
    expect((await failure(basic.authenticate(withAuth("Basic YOmAhAAAOmJj")))).detail).toBe(
      "Invalid username/password.",
    );
    expect(seen).toHaveLength(1);
  });

  it.each([
    ["a NUL at the end of the username", "ada\u0000", "secret"],
    ["a NUL inside the username", "a\u0000da", "secret"],
    ["a NUL at the end of the password", "ada", "secret\u0000"],
    ["a NUL inside the password", "ada", "sec\u0000ret"],
    ["a NUL alone", "\u0000", "\u0000"],
  ])("refuses %s as invalid credentials without calling verify", async (_case, username, password) => {
    const { basic, seen } = verifying(["ada", "secret"]);
    const response = toResponse(await authenticate(withAuth(encode(`${username}:${password}`)), [basic]))!;
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Basic realm="api"');
    expect(await response.text()).toBe(
      '{"detail":"Invalid username/password.","code":"authentication_failed"}',
    );
    expect(seen).toEqual([]);
  });

  it("refuses a NUL in latin-1 credentials (bytes that are not UTF-8) as well", async () => {
    const { basic, seen } = verifying();
    // 61 ff 00 3a 62: not UTF-8, read as latin-1 "a\xff\0" / "b".
    const error = await failure(basic.authenticate(withAuth("Basic Yf8AOmI=")));
    expect(error.detail).toBe("Invalid username/password.");
    expect(seen).toEqual([]);
  });

  it("keeps the scheme contract", async () => {
    await checkSchemeContract(verifying().basic, { seed: 7 });
  });
});

describe("BasicAuthentication: challenge and wiring", () => {
  it("challenges with realm api by default, and quotes a custom realm", () => {
    expect(verifying().basic.authenticateHeader()).toBe('Basic realm="api"');
    const custom = new BasicAuthentication({ verify: async () => null, realm: 'my "realm" \\ here' });
    expect(custom.authenticateHeader()).toBe('Basic realm="my \\"realm\\" \\\\ here"');
    expect(custom.name).toBe("basic");
  });

  it.each([["a\r\nSet-Cookie: x=1"], ["tab\u0000"], ["snow\u2603"]])("refuses the realm %j", (realm) => {
    expect(() => new BasicAuthentication({ verify: async () => null, realm })).toThrow(TypeError);
  });

  it("needs exactly one of users and verify", () => {
    expect(() => new BasicAuthentication({} as never)).toThrow(TypeError);
    expect(
      () => new BasicAuthentication({ users: new MemoryUserStore(), verify: async () => null } as never),
    ).toThrow(TypeError);
  });

  it("answers through the runner with DRF's status, body and header", async () => {
    const { basic } = verifying();
    const none = await authenticate(makeRequest(), [basic]);
    expect(none).toEqual({ outcome: "none", status: 401, wwwAuthenticate: 'Basic realm="api"' });

    const wrong = toResponse(await authenticate(withAuth(basicAuthHeader("ada", "nope")), [basic]))!;
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("WWW-Authenticate")).toBe('Basic realm="api"');
    expect(await wrong.json()).toEqual({
      detail: "Invalid username/password.",
      code: "authentication_failed",
    });

    const ok = await authenticate(withAuth(basicAuthHeader("ada", "secret")), [basic]);
    expect(ok).toMatchObject({ outcome: "success", user: { name: "ada" }, auth: null, scheme: "basic" });
  });

  it("passes the request to verify, and lets verify answer with its own AuthError", async () => {
    const request = withAuth(basicAuthHeader("ada", "secret"));
    const verify = vi.fn(async () => {
      throw new AuthenticationFailed("User inactive or deleted.");
    });
    const result = await authenticate(request, [new BasicAuthentication({ verify })]);
    expect(verify).toHaveBeenCalledWith("ada", "secret", request);
    expect(result).toMatchObject({ outcome: "fail", status: 401 });
    expect(result.outcome === "fail" && result.error.detail).toBe("User inactive or deleted.");
  });

  it("reports a verify that breaks as a SchemeError, never anonymous", async () => {
    const basic = new BasicAuthentication({
      verify: async () => {
        throw new Error("LDAP down");
      },
    });
    const error = await authenticate(withAuth(basicAuthHeader("a", "b")), [basic]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemeError);
    expect((error as SchemeError).scheme).toBe("basic");
  });
});

describe("BasicAuthentication with a user store", () => {
  const passwords = { iterations: 1000 };
  afterEach(() => vi.restoreAllMocks());

  async function seeded() {
    const users = new MemoryUserStore<{ id: string; email: string }>();
    users.add({
      id: "1",
      username: "ada",
      passwordHash: await hashPassword("secret", passwords),
      isActive: true,
      user: { id: "1", email: "ada@example.com" },
    });
    users.add({
      id: "2",
      username: "bob",
      passwordHash: await hashPassword("secret", passwords),
      isActive: false,
      user: { id: "2", email: "bob@example.com" },
    });
    users.add({
      id: "3",
      username: "eve",
      passwordHash: null,
      isActive: true,
      user: { id: "3", email: "e@x" },
    });
    return { users, basic: new BasicAuthentication({ users, passwords }) };
  }

  it("returns record.user and the record's id and flags, never the record or the hash", async () => {
    const { basic } = await seeded();
    const result = await basic.authenticate(withAuth(basicAuthHeader("ada", "secret")));
    expect(result).toEqual({
      user: { id: "1", email: "ada@example.com" },
      auth: null,
      userId: expect.any(String),
      isStaff: false,
      isSuperuser: false,
    });
    expect(JSON.stringify(result)).not.toContain("pbkdf2");
  });

  it.each([
    ["an unknown user", "nobody", "secret", "Invalid username/password."],
    ["a wrong password", "ada", "Secret", "Invalid username/password."],
    ["an empty password", "ada", "", "Invalid username/password."],
    ["an unusable password", "eve", "", "Invalid username/password."],
    ["an inactive user with a wrong password", "bob", "nope", "Invalid username/password."],
    ["an inactive user with the right password", "bob", "secret", "Invalid username/password."],
  ])("refuses %s with exactly one password hash", async (_case, username, password, detail) => {
    const { basic } = await seeded();
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
    const error = await failure(basic.authenticate(withAuth(basicAuthHeader(username, password))));
    expect(error.detail).toBe(detail);
    expect(error.status).toBe(401);
    expect(deriveBits).toHaveBeenCalledTimes(1);
  });

  /** The answer through the runner, byte for byte, and the PBKDF2 iteration counts it ran. */
  async function answer(basic: BasicAuthentication<unknown>, username: string, password: string) {
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
    deriveBits.mockClear();
    const response = toResponse(await authenticate(withAuth(basicAuthHeader(username, password)), [basic]))!;
    return {
      status: response.status,
      headers: headerList(response),
      body: await response.text(),
      hashes: deriveBits.mock.calls.map(([params]) => (params as Pbkdf2Params).iterations),
    };
  }

  it("answers an inactive user's right and wrong passwords as an unknown user's, one hash each", async () => {
    const { users, basic } = await seeded();
    const setPasswordHash = vi.spyOn(users, "setPasswordHash");
    const right = await answer(basic, "bob", "secret");
    expect(right).toEqual({
      status: 401,
      headers: [
        ["content-type", "application/json"],
        ["www-authenticate", 'Basic realm="api"'],
      ],
      body: '{"detail":"Invalid username/password.","code":"authentication_failed"}',
      hashes: [1000],
    });
    expect(await answer(basic, "bob", "nope")).toEqual(right);
    expect(await answer(basic, "nobody", "secret")).toEqual(right);
    expect(await answer(basic, "ada", "nope")).toEqual(right);
    expect(setPasswordHash).not.toHaveBeenCalled();
  });

  it("gives an inactive user's right password a wrong one's cost when the stored hash is weaker", async () => {
    const { users, basic } = await seeded();
    await users.setPasswordHash("2", await hashPassword("secret", { iterations: 500 }));
    const setPasswordHash = vi.spyOn(users, "setPasswordHash");
    const right = await answer(basic, "bob", "secret");
    // A wrong password verifies at 500 and pads to the configured 1000 (Django's harden_runtime); no upgrade.
    expect(right.hashes).toEqual([500, 500]);
    expect(right.body).toBe('{"detail":"Invalid username/password.","code":"authentication_failed"}');
    expect(await answer(basic, "bob", "nope")).toEqual(right);
    expect(setPasswordHash).not.toHaveBeenCalled();
  });

  it.each([
    ["demo\u0000", "secret"],
    ["ada\u0000", "secret"],
    ["ada", "secret\u0000"],
    ["ada", "secret\u0000\u0000"],
    ["\u0000ada", "secret"],
  ])("refuses %j / %j before asking the store or hashing", async (username, password) => {
    const { users, basic } = await seeded();
    const findByUsername = vi.spyOn(users, "findByUsername");
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
    const error = await failure(basic.authenticate(withAuth(basicAuthHeader(username, password))));
    expect(error).toBeInstanceOf(AuthenticationFailed);
    expect(error.detail).toBe("Invalid username/password.");
    expect(findByUsername).not.toHaveBeenCalled();
    expect(deriveBits).not.toHaveBeenCalled();
  });

  it("costs exactly one hash for a correct password too", async () => {
    const { basic } = await seeded();
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
    await basic.authenticate(withAuth(basicAuthHeader("ada", "secret")));
    expect(deriveBits).toHaveBeenCalledTimes(1);
  });

  it("upgrades a weaker stored hash at login, before returning", async () => {
    const { users, basic } = await seeded();
    const old = await hashPassword("secret", { iterations: 500 });
    await users.setPasswordHash("1", old);
    const setPasswordHash = vi.spyOn(users, "setPasswordHash");
    expect(await basic.authenticate(withAuth(basicAuthHeader("ada", "secret")))).not.toBeNull();
    expect(setPasswordHash).toHaveBeenCalledTimes(1);
    const upgraded = (await users.findById("1"))!.passwordHash!;
    expect(upgraded).toMatch(/^pbkdf2_sha256\$1000\$[a-zA-Z0-9]{22}\$/);
    expect(await verifyPassword("secret", upgraded, passwords)).toEqual({ valid: true, needsRehash: false });
  });

  it("never upgrades on a wrong password", async () => {
    const { users, basic } = await seeded();
    const old = await hashPassword("secret", { iterations: 500 });
    await users.setPasswordHash("1", old);
    await failure(basic.authenticate(withAuth(basicAuthHeader("ada", "wrong"))));
    expect((await users.findById("1"))!.passwordHash).toBe(old);
  });

  it("keeps the scheme contract", async () => {
    const { basic } = await seeded();
    await checkSchemeContract(basic, { seed: 11, runs: 100 });
  });
});

const pgSkip = await postgresSkipReason();

describe.skipIf(pgSkip !== null)(
  `BasicAuthentication over a KyselyUserStore on PostgreSQL${pgSkip === null ? "" : ` (skipped: ${pgSkip})`}`,
  () => {
    let schema: PostgresSchema;
    let users: KyselyUserStore;
    beforeAll(async () => {
      schema = await postgresSchema(2);
      await migrateToLatest(schema.db);
      users = new KyselyUserStore({ db: schema.db });
      await users.create({
        username: "demo",
        passwordHash: await hashPassword("demo", { iterations: 1000 }),
      });
    });
    afterAll(async () => {
      await schema?.drop();
    });

    it("finds the real user, so the store is really asked", async () => {
      const basic = new BasicAuthentication({ users, passwords: { iterations: 1000 } });
      const result = await authenticate(withAuth(basicAuthHeader("demo", "demo")), [basic]);
      expect(result).toMatchObject({ outcome: "success", user: { username: "demo" } });
    });

    it("shows that PostgreSQL itself refuses a NUL (the 500 this guards against)", async () => {
      await expect(users.findByUsername("demo\u0000")).rejects.toThrow();
    });

    it.each([
      ["demo\u0000", "demo"],
      ["demo\u0000\u0000", "demo"],
      ["demo", "demo\u0000"],
    ])(
      "answers %j / %j with 401 Invalid username/password., never a SchemeError",
      async (username, password) => {
        const basic = new BasicAuthentication({ users, passwords: { iterations: 1000 } });
        const findByUsername = vi.spyOn(users, "findByUsername");
        const response = toResponse(
          await authenticate(withAuth(basicAuthHeader(username, password)), [basic]),
        )!;
        expect(response.status).toBe(401);
        expect(response.headers.get("WWW-Authenticate")).toBe('Basic realm="api"');
        expect(await response.json()).toEqual({
          detail: "Invalid username/password.",
          code: "authentication_failed",
        });
        expect(findByUsername).not.toHaveBeenCalled();
        findByUsername.mockRestore();
      },
    );
  },
);

/** Every header of a response as [name, value] pairs, in order. */
function headerList(response: Response): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  response.headers.forEach((value, name) => {
    list.push([name, value]);
  });
  return list;
}
