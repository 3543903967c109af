import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AuthEvents,
  AuthenticationFailed,
  authenticate,
  MemoryTokenStore,
  MemoryUserStore,
  SchemeError,
  TokenAuthentication,
  type TokenAuthenticationOptions,
  type TokenStore,
  toResponse,
} from "../../src/index.js";
import { checkSchemeContract, makeRequest } from "../../src/testing/index.js";
import { failure } from "../failure.js";

const T0 = new Date("2026-11-28T12:00:00Z").getTime();
const withAuth = (authorization: string) => makeRequest({ headers: { Authorization: authorization } });

async function setup(options: Partial<TokenAuthenticationOptions<{ id: string; username: string }>> = {}) {
  const users = new MemoryUserStore();
  const ada = await users.create({ username: "ada", passwordHash: null });
  const bob = await users.create({ username: "bob", passwordHash: null, isActive: false });
  const tokens = new MemoryTokenStore();
  const auth = new TokenAuthentication({ tokens, users, ...options });
  return { users, tokens, auth, ada, bob };
}

afterEach(() => vi.useRealTimers());

describe("TokenAuthentication: DRF's and knox's messages", () => {
  it("authenticates a valid token with the stored record, never the plaintext", async () => {
    const { auth, ada } = await setup();
    const { token, record } = await auth.issue(ada.id, { name: "laptop" });
    const result = await auth.authenticate(withAuth(`Token ${token}`));
    expect(result?.user).toEqual({ id: "1", username: "ada" });
    expect(result?.auth).toMatchObject({ digest: record.digest, userId: "1", name: "laptop" });
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it.each([[undefined], [""], ["Bearer abc"], ["Basic YWRhOnNlY3JldA=="], ["Tokens abc"]])(
    "returns null for %j",
    async (header) => {
      const { auth } = await setup();
      expect(
        await auth.authenticate(
          makeRequest({ headers: header === undefined ? {} : { Authorization: header } }),
        ),
      ).toBeNull();
    },
  );

  it.each([
    ["Token", "Invalid token header. No credentials provided."],
    ["Token   ", "Invalid token header. No credentials provided."],
    ["Token a b", "Invalid token header. Token string should not contain spaces."],
    ["token pct_abc def", "Invalid token header. Token string should not contain spaces."],
    ["Token pct_abc!", "Invalid token header. Token string should not contain invalid characters."],
    ["Token abc=", "Invalid token header. Token string should not contain invalid characters."],
    ["Token p\u00e9t", "Invalid token header. Token string should not contain invalid characters."],
    ["Token a+b/c", "Invalid token header. Token string should not contain invalid characters."],
    ["Token pct_doesnotexist", "Invalid token."],
    [`Token pct_${"A".repeat(43)}`, "Invalid token."],
  ])("fails %j with %j", async (header, detail) => {
    const { auth } = await setup();
    const error = await failure(auth.authenticate(withAuth(header)));
    expect([error.status, error.code, error.detail]).toEqual([401, "authentication_failed", detail]);
  });

  it("answers an inactive or deleted owner with knox's message", async () => {
    const { auth, bob } = await setup();
    const inactive = await auth.issue(bob.id);
    const orphan = await auth.issue("404");
    for (const { token } of [inactive, orphan]) {
      expect((await failure(auth.authenticate(withAuth(`Token ${token}`)))).detail).toBe(
        "User inactive or deleted.",
      );
    }
  });

  it("challenges with the first keyword through the runner", async () => {
    const { auth, ada } = await setup();
    const none = await authenticate(makeRequest(), [auth]);
    expect(none).toEqual({ outcome: "none", status: 401, wwwAuthenticate: "Token" });
    const bad = toResponse(await authenticate(withAuth("Token nope"), [auth]))!;
    expect(bad.status).toBe(401);
    expect(bad.headers.get("WWW-Authenticate")).toBe("Token");
    expect(await bad.json()).toEqual({ detail: "Invalid token.", code: "authentication_failed" });
    const { token } = await auth.issue(ada.id);
    expect(await authenticate(withAuth(`Token ${token}`), [auth])).toMatchObject({
      outcome: "success",
      scheme: "token",
    });
  });
});

describe("TokenAuthentication: keywords", () => {
  it.each([["Token"], ["token"], ["TOKEN"], ["tOkEn"]])("matches %s case-insensitively", async (keyword) => {
    const { auth, ada } = await setup();
    const { token } = await auth.issue(ada.id);
    expect(await auth.authenticate(withAuth(`${keyword} ${token}`))).not.toBeNull();
  });

  it("takes a custom keyword (knox's AUTH_HEADER_PREFIX) and a list", async () => {
    const custom = await setup({ keyword: "Baerer" });
    const { token } = await custom.auth.issue(custom.ada.id);
    expect(await custom.auth.authenticate(withAuth(`Token ${token}`))).toBeNull();
    expect(await custom.auth.authenticate(withAuth(`Baerer ${token}`))).not.toBeNull();
    expect(custom.auth.authenticateHeader()).toBe("Baerer");

    const both = await setup({ keyword: ["Token", "Bearer"] });
    const issued = await both.auth.issue(both.ada.id);
    expect(await both.auth.authenticate(withAuth(`bearer ${issued.token}`))).not.toBeNull();
    expect(await both.auth.authenticate(withAuth(`Token ${issued.token}`))).not.toBeNull();
    expect(both.auth.authenticateHeader()).toBe("Token");
  });

  it.each([[[]], [""], ["To ken"], [["Token", "a\r\nb"]]])("refuses the keyword %j", async (keyword) => {
    await expect(setup({ keyword: keyword as string[] })).rejects.toThrow(TypeError);
  });
});

describe("TokenAuthentication: expiry, auto-refresh and last use", () => {
  it("refuses and deletes an expired token, with tokenExpired", async () => {
    vi.useFakeTimers({ now: T0 });
    const events = new AuthEvents();
    const expired = vi.fn();
    events.on("tokenExpired", expired);
    const { auth, ada, tokens } = await setup({ ttl: "1h", events });
    const { token, record } = await auth.issue(ada.id);
    vi.setSystemTime(T0 + 3_600_000);
    expect(await auth.authenticate(withAuth(`Token ${token}`))).not.toBeNull(); // knox: expiry < now
    vi.setSystemTime(T0 + 3_600_001);
    expect((await failure(auth.authenticate(withAuth(`Token ${token}`)))).detail).toBe("Invalid token.");
    expect(await tokens.findByDigest(record.digest)).toBeNull();
    expect(expired).toHaveBeenCalledWith({ record: expect.objectContaining({ digest: record.digest }) });
  });

  it("deletes the owner's other expired tokens, as knox's _cleanup_token: with a token's lastUsedAt write, and when an expired one comes", async () => {
    vi.useFakeTimers({ now: T0 });
    const events = new AuthEvents();
    const expired = vi.fn();
    events.on("tokenExpired", expired);
    const { auth, ada, users, tokens } = await setup({ events });
    const carol = await users.create({ username: "carol", passwordHash: null });
    const [old1, old2, theirs] = [
      await auth.issue(ada.id, { ttl: 60 }),
      await auth.issue(ada.id, { ttl: 120 }),
      await auth.issue(carol.id, { ttl: 60 }),
    ];
    const live = await auth.issue(ada.id, { ttl: "1d" });
    vi.setSystemTime(T0 + 200_000);
    // The first use writes lastUsedAt, and ada's two expired tokens go; carol's stays (not ada's).
    expect((await auth.authenticate(withAuth(`Token ${live.token}`)))?.user).toEqual(ada.user);
    expect((await tokens.listForUser(ada.id)).map((r) => r.digest)).toEqual([live.record.digest]);
    expect(await tokens.findByDigest(theirs.record.digest)).not.toBeNull();
    expect(expired.mock.calls.map(([{ record }]) => record.digest)).toEqual([
      old1.record.digest,
      old2.record.digest,
    ]);
    // Within the minute nothing is written, so nothing is listed.
    const listed = vi.spyOn(tokens, "listForUser");
    await auth.authenticate(withAuth(`Token ${live.token}`));
    expect(listed).not.toHaveBeenCalled();
    // carol's expired token, presented: refused, deleted, and so would be her other expired ones.
    const carolOld = await auth.issue(carol.id, { ttl: 1 });
    vi.setSystemTime(T0 + 300_000);
    expect((await failure(auth.authenticate(withAuth(`Token ${theirs.token}`)))).detail).toBe(
      "Invalid token.",
    );
    expect(await tokens.listForUser(carol.id)).toEqual([]);
    expect(
      expired.mock.calls
        .slice(2)
        .map(([{ record }]) => record.digest)
        .sort(),
    ).toEqual([carolOld.record.digest, theirs.record.digest].sort());
  });

  it("a clean-up that fails changes no answer, and is logged", async () => {
    vi.useFakeTimers({ now: T0 });
    const { auth, ada, tokens } = await setup();
    const live = await auth.issue(ada.id, { ttl: "1d" });
    const old = await auth.issue(ada.id, { ttl: 1 });
    vi.setSystemTime(T0 + 5_000);
    const down = new Error("store down");
    vi.spyOn(tokens, "listForUser").mockRejectedValue(down);
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    expect((await auth.authenticate(withAuth(`Token ${live.token}`)))?.user).toEqual(ada.user);
    expect((await failure(auth.authenticate(withAuth(`Token ${old.token}`)))).detail).toBe("Invalid token.");
    expect(await tokens.findByDigest(old.record.digest)).toBeNull();
    expect(logged.mock.calls).toEqual([
      ["portcullis: TokenAuthentication could not delete a user's expired tokens", down],
      ["portcullis: TokenAuthentication could not delete a user's expired tokens", down],
    ]);
    logged.mockRestore();
  });

  it("slides the expiry with autoRefresh, written only past minRefreshInterval, capped by maxTtl", async () => {
    vi.useFakeTimers({ now: T0 });
    const { auth, ada, tokens } = await setup({ ttl: "1h", autoRefresh: true, maxTtl: "3h" });
    const { token, record } = await auth.issue(ada.id);
    const touch = vi.spyOn(tokens, "touch");
    const expiry = async () => (await tokens.findByDigest(record.digest))!.expiresAt!.getTime();

    vi.setSystemTime(T0 + 30_000); // 30 s later: the expiry would move by 30 s, under the 60 s interval
    await auth.authenticate(withAuth(`Token ${token}`));
    expect(await expiry()).toBe(T0 + 3_600_000);

    vi.setSystemTime(T0 + 30 * 60_000);
    const result = await auth.authenticate(withAuth(`Token ${token}`));
    expect(await expiry()).toBe(T0 + 90 * 60_000);
    expect(result?.auth.expiresAt?.getTime()).toBe(T0 + 90 * 60_000);

    vi.setSystemTime(T0 + 80 * 60_000);
    await auth.authenticate(withAuth(`Token ${token}`));
    expect(await expiry()).toBe(T0 + 140 * 60_000);

    vi.setSystemTime(T0 + 130 * 60_000); // now + 1h = 190 min, capped at createdAt + 3h = 180 min
    await auth.authenticate(withAuth(`Token ${token}`));
    expect(await expiry()).toBe(T0 + 180 * 60_000);
    vi.setSystemTime(T0 + 179 * 60_000); // the cap holds: no further write
    await auth.authenticate(withAuth(`Token ${token}`));
    expect(await expiry()).toBe(T0 + 180 * 60_000);
    vi.setSystemTime(T0 + 180 * 60_000 + 1);
    await failure(auth.authenticate(withAuth(`Token ${token}`)));
    expect(touch.mock.calls.filter(([, changes]) => changes.expiresAt !== undefined)).toHaveLength(3);
  });

  it("never refreshes a token without expiry, and needs a ttl for autoRefresh", async () => {
    const { tokens, users, ada } = await setup();
    const auth = new TokenAuthentication({ tokens, users, ttl: "1h", autoRefresh: true });
    const { token, record } = await auth.issue(ada.id, { ttl: null }); // this one token never expires
    await auth.authenticate(withAuth(`Token ${token}`));
    expect((await tokens.findByDigest(record.digest))!.expiresAt).toBeNull();
    expect(() => new TokenAuthentication({ tokens, users, autoRefresh: true })).toThrow(
      /autoRefresh needs a `ttl`/,
    );
  });

  it("records the last use at most once a minute", async () => {
    vi.useFakeTimers({ now: T0 });
    const { auth, ada, tokens } = await setup();
    const { token, record } = await auth.issue(ada.id);
    const touch = vi.spyOn(tokens, "touch");
    const lastUsed = async () => (await tokens.findByDigest(record.digest))!.lastUsedAt?.getTime();
    await auth.authenticate(withAuth(`Token ${token}`));
    expect(await lastUsed()).toBe(T0);
    vi.setSystemTime(T0 + 59_999);
    await auth.authenticate(withAuth(`Token ${token}`));
    expect(await lastUsed()).toBe(T0);
    vi.setSystemTime(T0 + 60_000);
    await auth.authenticate(withAuth(`Token ${token}`));
    expect(await lastUsed()).toBe(T0 + 60_000);
    expect(touch).toHaveBeenCalledTimes(2);
  });

  it("issues with the scheme's ttl and per-user limit", async () => {
    vi.useFakeTimers({ now: T0 });
    const { auth, ada } = await setup({ ttl: "30d", maxTokensPerUser: 1 });
    const { record } = await auth.issue(ada.id);
    expect(record.expiresAt?.getTime()).toBe(T0 + 30 * 86_400_000);
    await expect(auth.issue(ada.id)).rejects.toMatchObject({
      status: 403,
      detail: "Maximum amount of tokens allowed per user exceeded.",
    });
  });
});

describe("TokenAuthentication: revocation and failures", () => {
  it("stops accepting a revoked token on the very next request", async () => {
    const { auth, ada, tokens } = await setup();
    const { token, record } = await auth.issue(ada.id);
    expect(await auth.authenticate(withAuth(`Token ${token}`))).not.toBeNull();
    await tokens.delete(record.digest);
    await failure(auth.authenticate(withAuth(`Token ${token}`)));
  });

  it("reports a store that cannot answer as a SchemeError, never anonymous", async () => {
    const { users } = await setup();
    const broken = new MemoryTokenStore() as TokenStore;
    broken.findByDigest = async () => {
      throw new Error("connection refused");
    };
    const auth = new TokenAuthentication({ tokens: broken, users });
    const error = await authenticate(withAuth("Token pct_abc"), [auth]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemeError);
    expect((error as SchemeError).scheme).toBe("token");
  });

  it("only ever answers null, a user for its own token, or AuthenticationFailed (property, 10,000 runs)", async () => {
    const { auth, ada } = await setup();
    const { token } = await auth.issue(ada.id);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 80 }),
          fc.string({ maxLength: 80 }).map((s) => `Token ${s}`),
          fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/).map((s) => `Token ${s}`),
        ),
        async (header) => {
          try {
            const result = await auth.authenticate(withAuth(header));
            if (result !== null) expect(header.trim().split(/\s+/)[1]).toBe(token);
          } catch (error) {
            expect(error).toBeInstanceOf(AuthenticationFailed);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it("keeps the scheme contract", async () => {
    const { auth } = await setup();
    await checkSchemeContract(auth, { seed: 3 });
  });
});
