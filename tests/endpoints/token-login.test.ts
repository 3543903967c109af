import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenDigest } from "../../src/adapter-kit.js";
import { tokenLogin, tokenLogout, tokenLogoutAll } from "../../src/endpoints/index.js";
import { authenticate, SchemeError, TokenAuthentication, type TokenRecord } from "../../src/index.js";
import { passwords, postJson, read, setup, URL_BASE, withToken } from "./setup.js";

const CREDENTIALS = { username: "ada", password: "correct horse" };

afterEach(() => {
  vi.useRealTimers();
});

async function login(handler: (request: Request) => Promise<Response>, body: object = CREDENTIALS) {
  const response = await read(await handler(postJson(body)));
  return { ...response, token: (response.body as { token?: string } | undefined)?.token ?? "" };
}

describe("tokenLogin", () => {
  it("answers knox's 200 {expiry, token}, expiry in ISO 8601 UTC, with frozen time", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-11-28T04:32:00Z"));
    const { users, tokens } = await setup();
    const response = await tokenLogin({ users, tokens, passwords, ttl: "10h" })(postJson(CREDENTIALS));
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    const text = await response.text();
    expect(text).toMatch(/^\{"expiry":"2026-11-28T14:32:00\.000Z","token":"pct_[A-Za-z0-9_-]{43}"\}$/);
  });

  it("answers expiry null without ttl (knox's test_expiry_present_also_when_none)", async () => {
    const { users, tokens } = await setup();
    const { status, body } = await login(tokenLogin({ users, tokens, passwords }));
    expect(status).toBe(200);
    expect(Object.keys(body as object)).toEqual(["expiry", "token"]);
    expect((body as { expiry: unknown }).expiry).toBeNull();
  });

  it("issues a new distinct token per login, each accepted by TokenAuthentication", async () => {
    const { users, tokens, auth, ada } = await setup();
    const handler = tokenLogin({ users, tokens, passwords });
    const first = await login(handler);
    const second = await login(handler);
    expect(first.token).not.toBe(second.token);
    for (const { token } of [first, second]) {
      expect(await authenticate(withToken(token), [auth])).toMatchObject({
        outcome: "success",
        user: ada.user,
      });
    }
  });

  it("uses the prefix option", async () => {
    const { users, tokens } = await setup();
    const { token } = await login(tokenLogin({ users, tokens, passwords, prefix: "knox_" }));
    expect(token).toMatch(/^knox_[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    [{ name: "laptop" }, "laptop"],
    [{ name: "  phone  " }, "phone"],
    [{ name: "" }, null],
    [{ name: "   " }, null],
    [{ name: null }, null],
    [{}, null],
    [{ name: 7 }, "7"],
  ])("stores the device label %j as %j", async (extra, stored) => {
    const { users, tokens, ada } = await setup();
    const { token, status } = await login(tokenLogin({ users, tokens, passwords }), {
      ...CREDENTIALS,
      ...extra,
    });
    expect(status).toBe(200);
    expect(await tokens.findByDigest(await tokenDigest(token))).toMatchObject({
      userId: ada.id,
      name: stored,
    });
  });

  it.each([
    [{ name: true }, ["Not a valid string."]],
    [{ name: ["laptop"] }, ["Not a valid string."]],
    [{ name: "x".repeat(65) }, ["Ensure this field has no more than 64 characters."]],
  ])("refuses the label %j", async (extra, errors) => {
    const { users, tokens } = await setup();
    const response = await login(tokenLogin({ users, tokens, passwords }), { ...CREDENTIALS, ...extra });
    expect(response).toMatchObject({ status: 400, body: { name: errors } });
  });

  it("reports the label's errors with the credential fields' ones", async () => {
    const { users, tokens } = await setup();
    const response = await login(tokenLogin({ users, tokens, passwords }), { name: {} });
    expect(response.body).toEqual({
      username: ["This field is required."],
      password: ["This field is required."],
      name: ["Not a valid string."],
    });
  });

  it("answers bad credentials like obtainAuthToken", async () => {
    const { users, tokens } = await setup();
    const handler = tokenLogin({ users, tokens, passwords });
    for (const body of [
      { username: "nobody", password: "correct horse" },
      { username: "ada", password: "wrong" },
      { username: "eve", password: "correct horse" },
    ]) {
      expect((await login(handler, body)).text).toBe(
        '{"non_field_errors":["Unable to log in with provided credentials."]}',
      );
    }
  });

  it("answers 403 over maxTokensPerUser, counting only unexpired tokens (knox)", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-01-01T00:00:00Z"));
    const { users, tokens, events, ada } = await setup();
    const succeeded = vi.fn();
    events.on("loginSucceeded", succeeded);
    const handler = tokenLogin({ users, tokens, passwords, events, ttl: "1h", maxTokensPerUser: 2 });
    expect((await login(handler)).status).toBe(200);
    expect((await login(handler)).status).toBe(200);
    const refused = await login(handler);
    expect(refused.status).toBe(403);
    expect(refused.allow).toBe("POST, OPTIONS");
    expect(refused.text).toBe('{"detail":"Maximum amount of tokens allowed per user exceeded."}');
    expect(await tokens.listForUser(ada.id)).toHaveLength(2);
    expect(succeeded).toHaveBeenCalledTimes(2);
    // Another user is not limited by ada's tokens.
    expect((await login(handler, { username: "bob", password: "correct horse" })).status).toBe(200);

    vi.setSystemTime(new Date("2026-01-01T01:00:01Z"));
    expect((await login(handler)).status).toBe(200);
  });

  it("emits loginSucceeded via tokenLogin, and loginFailed without the password", async () => {
    const { users, tokens, events, ada } = await setup();
    const payloads: unknown[] = [];
    events.on("loginSucceeded", (payload) => payloads.push(payload));
    events.on("loginFailed", (payload) => payloads.push(payload));
    const handler = tokenLogin({ users, tokens, passwords, events });
    await login(handler);
    await login(handler, { username: "ada", password: "hunter2" });
    expect(payloads).toEqual([
      { record: expect.objectContaining({ id: ada.id }), via: "tokenLogin" },
      { username: "ada", via: "tokenLogin" },
    ]);
    expect(JSON.stringify(payloads)).not.toMatch(/hunter2|correct horse/);
  });

  it("validates its options at once", async () => {
    const { users, tokens } = await setup();
    expect(() => tokenLogin({ users, tokens, maxTokensPerUser: 0 })).toThrow(RangeError);
    expect(() => tokenLogin({ users, tokens, ttl: "soon" as never })).toThrow(RangeError);
    expect(() => tokenLogin({ users } as never)).toThrow(TypeError);
  });

  it("20 concurrent logins with a limit of 1 answer one 200 and nineteen 403s (no check-then-write race)", async () => {
    const { users, tokens, ada } = await setup();
    const handler = tokenLogin({ users, tokens, passwords, maxTokensPerUser: 1 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => login(handler)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    const refused = answers.filter((a) => a.status !== 200).map((a) => [a.status, a.text]);
    expect(refused).toEqual(
      Array.from({ length: 19 }, () => [
        403,
        '{"detail":"Maximum amount of tokens allowed per user exceeded."}',
      ]),
    );
    expect(await tokens.listForUser(ada.id)).toHaveLength(1);
  });

  it("rejects (not 4xx) when the token store cannot count tokens", async () => {
    const { users, tokens } = await setup();
    const outage = new Error("database is down");
    vi.spyOn(tokens, "saveWithinLimit").mockRejectedValue(outage);
    const handler = tokenLogin({ users, tokens, passwords, maxTokensPerUser: 3 });
    await expect(handler(postJson(CREDENTIALS))).rejects.toBe(outage);
  });
});

describe("tokenLogout and tokenLogoutAll", () => {
  async function world() {
    const ctx = await setup();
    const { auth, ada, bob } = ctx;
    const ada1 = (await auth.issue(ada.id, { name: "laptop" })).token;
    const ada2 = (await auth.issue(ada.id, { name: "phone" })).token;
    const bob1 = (await auth.issue(bob.id)).token;
    const works = async (token: string) =>
      (await authenticate(withToken(token), [ctx.auth])).outcome === "success";
    return { ...ctx, ada1, ada2, bob1, works };
  }

  const variants = [
    ["tokenLogout", tokenLogout],
    ["tokenLogoutAll", tokenLogoutAll],
  ] as const;

  it.each(variants)(
    "%s answers 401 without a token, with WWW-Authenticate: Token and DRF's body",
    async (_, make) => {
      const { auth, tokens } = await world();
      const response = await read(await make({ auth, tokens })(new Request(URL_BASE, { method: "POST" })));
      expect(response.status).toBe(401);
      expect(response.contentType).toBe("application/json");
      expect(response.allow).toBe("POST, OPTIONS");
      expect(response.text).toBe(
        '{"detail":"Authentication credentials were not provided.","code":"not_authenticated"}',
      );
      expect(
        (await make({ auth, tokens })(new Request(URL_BASE, { method: "POST" }))).headers.get(
          "WWW-Authenticate",
        ),
      ).toBe("Token");
    },
  );

  it.each(variants)("%s answers 401 Invalid token. for an unknown token", async (_, make) => {
    const { auth, tokens } = await world();
    const response = await make({ auth, tokens })(withToken("pct_unknown"));
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe("Token");
    expect(await response.json()).toEqual({ detail: "Invalid token.", code: "authentication_failed" });
  });

  it("tokenLogout deletes only the presented token → 204, no body", async () => {
    const { auth, tokens, events, ada1, ada2, bob1, works } = await world();
    const revoked = vi.fn();
    events.on("tokenRevoked", revoked);
    const response = await tokenLogout({ auth, tokens, events })(withToken(ada1));
    expect(response.status).toBe(204);
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
    expect(response.headers.get("Content-Type")).toBeNull();
    expect(await response.text()).toBe("");
    expect(await works(ada1)).toBe(false);
    expect(await works(ada2)).toBe(true);
    expect(await works(bob1)).toBe(true);
    expect(revoked).toHaveBeenCalledTimes(1);
    expect(revoked.mock.calls[0]?.[0].record).toMatchObject({
      digest: await tokenDigest(ada1),
      name: "laptop",
    });
    // The same token again: it no longer authenticates.
    expect((await tokenLogout({ auth, tokens })(withToken(ada1))).status).toBe(401);
  });

  it("tokenLogoutAll deletes every token of the user → 204, other users untouched", async () => {
    const { auth, tokens, events, ada, ada1, ada2, bob1, works } = await world();
    const revoked: TokenRecord[] = [];
    events.on("tokenRevoked", ({ record }) => revoked.push(record));
    const response = await tokenLogoutAll({ auth, tokens, events })(withToken(ada2));
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    expect(await works(ada1)).toBe(false);
    expect(await works(ada2)).toBe(false);
    expect(await works(bob1)).toBe(true);
    expect(await tokens.listForUser(ada.id)).toEqual([]);
    expect(revoked.map((r) => r.name).sort()).toEqual(["laptop", "phone"]);
  });

  it.each(variants)("%s ignores the body, whatever its type", async (_, make) => {
    const { auth, tokens, ada1 } = await world();
    const request = new Request(URL_BASE, {
      method: "POST",
      headers: { Authorization: `Token ${ada1}`, "Content-Type": "text/plain" },
      body: "x".repeat(100_000),
    });
    expect((await make({ auth, tokens })(request)).status).toBe(204);
  });

  it.each(variants)("%s refuses GET with 405 before looking at the token", async (_, make) => {
    const { auth, tokens, ada1, works } = await world();
    const spy = vi.spyOn(tokens, "findByDigest");
    const response = await make({ auth, tokens })(withToken(ada1, "GET"));
    expect(response.status).toBe(405);
    expect(spy).not.toHaveBeenCalled();
    expect(await works(ada1)).toBe(true);
  });

  it.each(variants)(
    "%s rejects with SchemeError when the store cannot look the token up",
    async (_, make) => {
      const { auth, tokens, ada1 } = await world();
      vi.spyOn(tokens, "findByDigest").mockRejectedValue(new Error("database is down"));
      await expect(make({ auth, tokens })(withToken(ada1))).rejects.toBeInstanceOf(SchemeError);
    },
  );

  it("tokenLogout rejects when the store cannot delete", async () => {
    const { auth, tokens, ada1 } = await world();
    const outage = new Error("database is down");
    vi.spyOn(tokens, "delete").mockRejectedValue(outage);
    await expect(tokenLogout({ auth, tokens })(withToken(ada1))).rejects.toBe(outage);
  });

  it("tokenLogoutAll rejects when the store cannot delete", async () => {
    const { auth, tokens, ada1 } = await world();
    const outage = new Error("database is down");
    vi.spyOn(tokens, "deleteForUser").mockRejectedValue(outage);
    await expect(tokenLogoutAll({ auth, tokens })(withToken(ada1))).rejects.toBe(outage);
  });

  it("works with a TokenAuthentication using another keyword", async () => {
    const { users, tokens, ada1, works } = await world();
    const auth = new TokenAuthentication({ users, tokens, keyword: "Bearer" });
    const request = new Request(URL_BASE, { method: "POST", headers: { Authorization: `Bearer ${ada1}` } });
    expect((await tokenLogout({ auth, tokens })(request)).status).toBe(204);
    expect(await works(ada1)).toBe(false);
    const anonymous = await tokenLogout({ auth, tokens })(new Request(URL_BASE, { method: "POST" }));
    expect(anonymous.headers.get("WWW-Authenticate")).toBe("Bearer");
  });

  it("rejects with a TypeError when the scheme's auth is not a TokenRecord", async () => {
    const { tokens } = await world();
    const auth = { authenticate: async () => ({ user: {}, auth: null as unknown as TokenRecord }) };
    await expect(tokenLogout({ auth, tokens })(withToken("x"))).rejects.toThrow(TypeError);
  });

  it("validates its options at once", () => {
    expect(() => tokenLogout({} as never)).toThrow(TypeError);
    expect(() => tokenLogoutAll({ auth: {} } as never)).toThrow(TypeError);
  });
});

describe("tokenLogin configuration", () => {
  it("refuses a bad prefix when it is built, not at the first request", async () => {
    const { MemoryTokenStore, MemoryUserStore } = await import("../../src/index.js");
    const { tokenLogin: login } = await import("../../src/endpoints/index.js");
    expect(() =>
      login({ users: new MemoryUserStore(), tokens: new MemoryTokenStore(), prefix: "bad prefix" }),
    ).toThrow(new RangeError("prefix must be up to 16 characters of [A-Za-z0-9_-]."));
  });
});
