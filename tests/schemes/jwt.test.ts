import fc from "fast-check";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AuthenticationFailed,
  authenticate,
  hashPassword,
  InvalidToken,
  JWTAuthentication,
  JWTService,
  JWTStatelessUserAuthentication,
  MemoryRevocationStore,
  MemoryUserStore,
  TokenUser,
  toResponse,
} from "../../src/index.js";
import { checkSchemeContract, makeRequest } from "../../src/testing/index.js";
import { failure } from "../failure.js";
import { tampered } from "../jwt/tamper.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const T0 = 1_800_000_000;
const bearer = (token: string, type = "Bearer") =>
  makeRequest({ headers: { Authorization: `${type} ${token}` } });

async function setup(settings: Partial<ConstructorParameters<typeof JWTService>[0]> = {}) {
  const users = new MemoryUserStore();
  const ada = await users.create({
    username: "ada",
    passwordHash: await hashPassword("pw", { iterations: 1000 }),
  });
  const bob = await users.create({ username: "bob", passwordHash: null, isActive: false });
  const jwt = new JWTService({ signingKey: SECRET, users, ...settings });
  return { users, ada, bob, jwt, auth: new JWTAuthentication({ jwt }) };
}

afterEach(() => vi.useRealTimers());

describe("JWTAuthentication", () => {
  it("authenticates an access token with the user and the claims", async () => {
    const { auth, jwt, ada } = await setup();
    const { access } = await jwt.obtainPair(ada);
    const result = await auth.authenticate(bearer(access));
    expect(result?.user).toEqual({ id: "1", username: "ada" });
    expect(result?.auth).toMatchObject({ token_type: "access", user_id: "1" });
  });

  it.each([["Bearer"], ["bearer"], ["BEARER"]])(
    "matches the header type %s case-insensitively (PR #977)",
    async (type) => {
      const { auth, jwt, ada } = await setup();
      const { access } = await jwt.obtainPair(ada);
      expect(await auth.authenticate(bearer(access, type))).not.toBeNull();
    },
  );

  it.each([[undefined], ["Token abc"], ["Basic YTpi"], ["Wrong abc"]])(
    "returns null for %j",
    async (header) => {
      const { auth } = await setup();
      expect(
        await auth.authenticate(makeRequest({ headers: header ? { Authorization: header } : {} })),
      ).toBeNull();
    },
  );

  it.each([["Bearer"], ["Bearer a b"]])("fails %j with bad_authorization_header", async (header) => {
    const { auth } = await setup();
    const error = await failure(auth.authenticate(makeRequest({ headers: { Authorization: header } })));
    expect([error.status, error.code, error.detail]).toEqual([
      401,
      "bad_authorization_header",
      "Authorization header must contain two space-delimited values",
    ]);
  });

  it("answers every header around a cached token as it does without the cache", async () => {
    const { users, ada, jwt } = await setup();
    const cached = new JWTService({ signingKey: SECRET, users, verifiedTokenCache: 10 });
    const withCache = new JWTAuthentication({ jwt: cached });
    const without = new JWTAuthentication({ jwt });
    const { access } = await jwt.obtainPair(ada);
    expect(await cached.validate(access, "access")).toMatchObject({ user_id: "1" }); // now cached
    const outcome = (auth: JWTAuthentication<unknown>, header: string) =>
      auth.authenticate(makeRequest({ headers: { Authorization: header } })).then(
        (result) => ({ user: result?.user ?? null }),
        (error: AuthenticationFailed) => ({ status: error.status, code: error.code, detail: error.detail }),
      );
    const headers = [
      `Bearer ${access}`,
      `bEARER ${access}`,
      `Bearer  ${access}`,
      ` Bearer ${access}`,
      `Bearer ${access} `,
      `Bearer\t${access}`,
      `Bearer ${access} x`,
      `Bearer ${access}x`,
      `Bearer x${access}`,
      `Bearer ${access.slice(0, -1)}`,
      `Bearers ${access}`,
      `Token ${access}`,
      `Bearer ${access}\n`,
    ];
    for (const header of headers) {
      expect([header, await outcome(withCache, header)]).toEqual([header, await outcome(without, header)]);
    }
    expect(await outcome(withCache, `Bearer ${access}`)).toEqual({ user: ada.user });
    expect(await outcome(withCache, `Bearer ${access} x`)).toMatchObject({
      code: "bad_authorization_header",
    });
  });

  it("refuses an over-long Bearer header before parsing it: DESIGN §6's failure, RFC 6750's invalid_token (security.md §2C-32)", async () => {
    const { auth, jwt, ada } = await setup();
    for (const size of [8_186, 20_480, 1_048_576]) {
      const result = await authenticate(bearer("a".repeat(size)), [auth]);
      expect(result).toMatchObject({ outcome: "fail", status: 401 });
      const response = toResponse(result)!;
      const detail = "Invalid bearer header. Header is longer than 8192 characters.";
      expect(response.headers.get("WWW-Authenticate")).toBe(
        `Bearer realm="api", error="invalid_token", error_description="${detail}"`,
      );
      expect(await response.json()).toEqual({ detail, code: "authentication_failed" });
    }
    // 8,192 characters in all is still read (and this one is no token).
    expect(await failure(auth.authenticate(bearer("a".repeat(8_185))))).toMatchObject({
      code: "token_not_valid",
    });
    expect(await auth.authenticate(bearer("a".repeat(20_480), "Basic"))).toBeNull();
    const { access } = await jwt.obtainPair(ada);
    expect((await auth.authenticate(bearer(access)))?.user).toEqual(ada.user);
  });

  it("answers an expired token as simplejwt does: body with messages, RFC 6750 challenge", async () => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const { auth, jwt, ada } = await setup();
    const { access } = await jwt.obtainPair(ada);
    vi.setSystemTime((T0 + 300) * 1000);
    const result = await authenticate(bearer(access), [auth]);
    expect(result).toMatchObject({ outcome: "fail", status: 401 });
    const response = toResponse(result)!;
    expect(response.headers.get("WWW-Authenticate")).toBe(
      'Bearer realm="api", error="invalid_token", error_description="Given token not valid for any token type"',
    );
    expect(await response.text()).toBe(
      JSON.stringify({
        detail: "Given token not valid for any token type",
        code: "token_not_valid",
        messages: [{ token_class: "AccessToken", token_type: "access", message: "Token is expired" }],
      }),
    );
    const error = result.outcome === "fail" ? result.error : null;
    expect(error).toBeInstanceOf(InvalidToken);
    expect((error as InvalidToken).messages).toEqual([
      { token_class: "AccessToken", token_type: "access", message: "Token is expired" },
    ]);
  });

  it("refuses a refresh token as an access token", async () => {
    const { auth, jwt, ada } = await setup();
    const { refresh } = await jwt.obtainPair(ada);
    const error = (await failure(auth.authenticate(bearer(refresh)))) as InvalidToken;
    expect(error.messages?.[0]?.message).toBe("Token has wrong type");
  });

  it("answers no challenge error without credentials, and Bearer realm=api", async () => {
    const { auth } = await setup();
    expect(await authenticate(makeRequest(), [auth])).toEqual({
      outcome: "none",
      status: 401,
      wwwAuthenticate: 'Bearer realm="api"',
    });
  });

  it("answers User not found and User is inactive with their codes", async () => {
    const { auth, jwt, bob } = await setup();
    const missing = await failure(auth.authenticate(bearer((await jwt.obtainPair({ id: "404" })).access)));
    expect([missing.code, missing.detail]).toEqual(["user_not_found", "User not found"]);
    const inactive = await failure(auth.authenticate(bearer((await jwt.obtainPair(bob)).access)));
    expect([inactive.code, inactive.detail]).toEqual(["user_inactive", "User is inactive"]);
    const lax = await setup({ checkUserIsActive: false });
    const laxBob = await lax.users.findByUsername("bob");
    expect(await lax.auth.authenticate(bearer((await lax.jwt.obtainPair(laxBob!)).access))).not.toBeNull();
  });

  it("reads users from the service only: a TypeError for a service without them, or a users option", async () => {
    const { users, ada, jwt } = await setup();
    const bare = new JWTService({ signingKey: SECRET });
    expect(() => new JWTAuthentication({ jwt: bare })).toThrow(
      new TypeError("JWTAuthentication needs a JWTService with `users`: new JWTService({ ..., users })."),
    );
    const twice = { jwt, users } as ConstructorParameters<typeof JWTAuthentication>[0];
    expect(() => new JWTAuthentication(twice)).toThrow(
      new TypeError(
        "JWTAuthentication takes `users` from its JWTService: give it to new JWTService({ ..., users }) instead.",
      ),
    );
    expect(() => new JWTAuthentication({} as never)).toThrow(new TypeError("JWTAuthentication needs `jwt`."));
    expect(jwt.users).toBe(users);
    const findById = vi.spyOn(users, "findById");
    const { access } = await jwt.obtainPair(ada);
    expect((await new JWTAuthentication({ jwt }).authenticate(bearer(access)))?.user).toEqual(ada.user);
    expect(findById).toHaveBeenCalledExactlyOnceWith(ada.id);
    // The stateless scheme reads no user: a service without users serves it.
    const { access: bareAccess } = await bare.obtainPair({ id: "7" });
    expect(
      (await new JWTStatelessUserAuthentication({ jwt: bare }).authenticate(bearer(bareAccess)))?.user.id,
    ).toBe("7");
  });

  it("answers a token without a user id claim", async () => {
    const { jwt, users } = await setup({ userIdClaim: "uid" });
    const other = new JWTService({ signingKey: SECRET, users });
    const { access } = await other.obtainPair({ id: "1" }); // carries user_id, not uid
    const error = await failure(new JWTAuthentication({ jwt }).authenticate(bearer(access)));
    expect([error.code, error.detail]).toEqual([
      "token_not_valid",
      "Token contained no recognizable user identification",
    ]);
  });

  it("refuses tokens issued before a password change (checkRevokeToken, SHA-256 of the stored hash)", async () => {
    const { auth, jwt, ada, users } = await setup({ checkRevokeToken: true });
    const { access } = await jwt.obtainPair(ada);
    expect(await auth.authenticate(bearer(access))).not.toBeNull();
    await users.setPasswordHash(ada.id, await hashPassword("new", { iterations: 1000 }));
    const error = await failure(auth.authenticate(bearer(access)));
    expect([error.code, error.detail]).toEqual(["password_changed", "The user's password has been changed."]);
  });

  it("refuses a revoked access token with checkRevokedAccess", async () => {
    const revocations = new MemoryRevocationStore();
    const { auth, jwt, ada } = await setup({ revocations, checkRevokedAccess: true });
    const { access } = await jwt.obtainPair(ada);
    expect(await auth.authenticate(bearer(access))).not.toBeNull();
    const claims = await jwt.verify(access);
    await revocations.revoke(claims.jti as string, new Date((claims.exp as number) * 1000));
    const error = (await failure(auth.authenticate(bearer(access)))) as InvalidToken;
    expect(error.messages?.[0]?.message).toBe("Token is blacklisted");
  });

  it("keeps the scheme contract, and answers random headers with null or an AuthError (10,000 runs)", async () => {
    const { auth, jwt, ada } = await setup();
    await checkSchemeContract(auth, { seed: 5, runs: 100 });
    const { access } = await jwt.obtainPair(ada);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 80 }),
          fc.string({ maxLength: 120 }).map((s) => `Bearer ${s}`),
          fc
            .nat(access.length - 1)
            .map((i) => `Bearer ${access.slice(0, i)}${access[i] === "A" ? "B" : "A"}${access.slice(i + 1)}`),
        ),
        async (header) => {
          try {
            expect(await auth.authenticate(makeRequest({ headers: { Authorization: header } }))).toBeNull();
          } catch (error) {
            expect(error).toBeInstanceOf(AuthenticationFailed);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe("JWTAuthentication and JWTStatelessUserAuthentication: what they call", () => {
  it("answer through the runner with node:crypto and the memory store, and refuse a bad token", async () => {
    const { auth, jwt, ada } = await setup();
    const { access } = await jwt.obtainPair(ada);
    expect(await authenticate(bearer(access), [auth])).toMatchObject({
      outcome: "success",
      user: { id: "1" },
      auth: { user_id: "1" },
      scheme: "jwt",
    });
    const refused = await authenticate(bearer(tampered(access)), [auth]);
    expect(refused).toMatchObject({ outcome: "fail", status: 401 });
    expect(refused.outcome === "fail" && refused.error).toBeInstanceOf(InvalidToken);
    expect(refused.outcome === "fail" && refused.error).toMatchObject({
      code: "token_not_valid",
      detail: "Given token not valid for any token type",
    });
    const stateless = new JWTStatelessUserAuthentication({ jwt });
    expect(await authenticate(bearer(access), [stateless])).toMatchObject({
      outcome: "success",
      user: { id: "1" },
    });
  });

  it("call a spy on the user store, the service's validate and the revocation store", async () => {
    const { auth, jwt, ada, users } = await setup();
    const { access } = await jwt.obtainPair(ada);
    const findById = vi.spyOn(users, "findById");
    const validate = vi.spyOn(jwt, "validate");
    await expect(auth.authenticate(bearer(access))).resolves.toMatchObject({ user: { id: "1" } });
    expect(findById).toHaveBeenCalledExactlyOnceWith("1");
    expect(validate).toHaveBeenCalledOnce();
    expect(validate.mock.calls[0]![0]).toBe(access);
    await new JWTStatelessUserAuthentication({ jwt }).authenticate(bearer(access));
    expect(validate).toHaveBeenCalledTimes(2);

    const revocations = new MemoryRevocationStore();
    const isRevoked = vi.spyOn(revocations, "isRevoked");
    const revocable = await setup({ revocations, checkRevokedAccess: true });
    const token = (await revocable.jwt.obtainPair(revocable.ada)).access;
    await expect(revocable.auth.authenticate(bearer(token))).resolves.not.toBeNull();
    expect(isRevoked).toHaveBeenCalledOnce();
  });

  it("call a subclass's override of the service's validate", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: null });
    class Audited extends JWTService {
      seen: string[] = [];
      override validate(token: string, type?: "access" | "refresh" | "sliding" | null) {
        this.seen.push(token);
        return super.validate(token, type);
      }
    }
    const jwt = new Audited({ signingKey: SECRET, users });
    const { access } = await jwt.obtainPair({ id: "1" });
    const auth = new JWTAuthentication({ jwt });
    expect(await authenticate(bearer(access), [auth])).toMatchObject({ outcome: "success" });
    expect(jwt.seen).toEqual([access]);
  });

  it("answer the same on the WebCrypto path", async () => {
    const portable = await setup({ useNodeCrypto: false });
    const portableToken = (await portable.jwt.obtainPair(portable.ada)).access;
    await expect(portable.auth.authenticate(bearer(portableToken))).resolves.toMatchObject({
      user: { id: "1" },
    });
    await expect(portable.auth.authenticate(bearer(tampered(portableToken)))).rejects.toMatchObject({
      code: "token_not_valid",
      detail: "Given token not valid for any token type",
    });
  });
});

describe("JWTStatelessUserAuthentication", () => {
  it("builds a TokenUser from the claims, without a store", async () => {
    const { jwt } = await setup();
    const stateless = new JWTStatelessUserAuthentication({ jwt });
    const { access } = await jwt.obtainPair({ id: "99" });
    const result = await stateless.authenticate(bearer(access));
    expect(result?.user).toBeInstanceOf(TokenUser);
    expect(result?.user).toMatchObject({
      id: "99",
      pk: "99",
      username: "",
      isStaff: false,
      isSuperuser: false,
      isActive: true,
    });
    expect(result?.user.get("token_type")).toBe("access");
    expect(result?.user.get("missing")).toBeUndefined();
    expect(stateless.name).toBe("jwt-stateless");
    expect(stateless.authenticateHeader()).toBe('Bearer realm="api"');
  });

  it("refuses a token whose user id claim is missing, or names nobody (simplejwt: a TokenUser with id None)", async () => {
    const { jwt } = await setup();
    const stateless = new JWTStatelessUserAuthentication({ jwt });
    const now = Math.floor(Date.now() / 1000);
    const signed = (extra: Record<string, unknown>) =>
      new SignJWT({ token_type: "access", jti: "0".repeat(32), ...extra })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(new TextEncoder().encode(SECRET));
    const missing = await failure(stateless.authenticate(bearer(await signed({}))));
    expect([missing.code, missing.detail]).toEqual([
      "token_not_valid",
      "Token contained no recognizable user identification",
    ]);
    for (const nobody of [null, { id: 1 }, [1]]) {
      const error = await failure(stateless.authenticate(bearer(await signed({ user_id: nobody }))));
      expect([error.status, error.code, error.detail]).toEqual([401, "user_not_found", "User not found"]);
    }
    const numeric = await stateless.authenticate(bearer(await signed({ user_id: 7 })));
    expect(numeric?.user.id).toBe("7");
  });
});
