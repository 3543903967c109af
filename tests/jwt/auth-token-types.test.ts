// Issue #17 item 1: simplejwt's AUTH_TOKEN_CLASSES as `authTokenTypes`, used by both JWT schemes and by
// `validate(token)` without a type. simplejwt's get_validated_token tries each class in turn and, when none
// accepts the token, answers "Given token not valid for any token type" with one message per class.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  authenticate,
  createJWTHandlers,
  type InvalidToken,
  JWTAuthentication,
  JWTService,
  JWTStatelessUserAuthentication,
  MemoryRevocationStore,
  MemoryUserStore,
  TokenUser,
  toResponse,
} from "../../src/index.js";
import type { JWTSettings } from "../../src/jwt/settings.js";
import { makeRequest } from "../../src/testing/index.js";
import { refused } from "./refused.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const T0 = 1_800_000_000;
const CHALLENGE =
  'Bearer realm="api", error="invalid_token", error_description="Given token not valid for any token type"';
const bearer = (token: string) => makeRequest({ headers: { Authorization: `Bearer ${token}` } });

async function setup(settings: Partial<JWTSettings> = {}) {
  const users = new MemoryUserStore();
  const revocations = new MemoryRevocationStore();
  const ada = await users.create({ username: "ada", passwordHash: null });
  const jwt = new JWTService({ signingKey: SECRET, users, revocations, ...settings });
  const schemes = [new JWTAuthentication({ jwt }), new JWTStatelessUserAuthentication({ jwt })] as const;
  return { users, revocations, ada, jwt, schemes, api: createJWTHandlers(jwt) };
}

async function refusal(response: Response | null) {
  expect(response?.status).toBe(401);
  expect(response?.headers.get("WWW-Authenticate")).toBe(CHALLENGE);
  return response!.json();
}

const wrong = (token_class: string, token_type: string, message = "Token has wrong type") => ({
  token_class,
  token_type,
  message,
});

afterEach(() => vi.useRealTimers());

describe("authTokenTypes: ['sliding']", () => {
  it("a sliding token authenticates, with both schemes", async () => {
    const { jwt, ada, schemes } = await setup({ authTokenTypes: ["sliding"] });
    const sliding = await jwt.obtainSliding(ada);
    const [stored, stateless] = schemes;
    const result = await authenticate(bearer(sliding), [stored]);
    expect(result).toMatchObject({
      outcome: "success",
      user: { id: ada.id, username: "ada" },
      scheme: "jwt",
    });
    expect(result.outcome === "success" && result.auth).toMatchObject({
      token_type: "sliding",
      user_id: ada.id,
    });
    const bare = await authenticate(bearer(sliding), [stateless]);
    expect(bare.outcome === "success" && bare.user).toBeInstanceOf(TokenUser);
    expect(bare.outcome === "success" && (bare.user as TokenUser).id).toBe(ada.id);
  });

  it("an access token is refused with simplejwt's body, with both schemes", async () => {
    const { jwt, ada, schemes } = await setup({ authTokenTypes: ["sliding"] });
    const { access } = await jwt.obtainPair(ada);
    for (const scheme of schemes) {
      const result = await authenticate(bearer(access), [scheme]);
      expect(await refusal(toResponse(result))).toEqual({
        detail: "Given token not valid for any token type",
        code: "token_not_valid",
        messages: [wrong("SlidingToken", "sliding")],
      });
    }
  });

  it("a blacklisted sliding token is refused as simplejwt's SlidingToken (BlacklistMixin) refuses it", async () => {
    const { jwt, ada, schemes, revocations } = await setup({ authTokenTypes: ["sliding"] });
    const sliding = await jwt.obtainSliding(ada);
    const claims = await jwt.validate(sliding, "sliding");
    await revocations.revoke(claims.jti as string, new Date((claims.exp as number) * 1000));
    const result = await authenticate(bearer(sliding), [schemes[0]]);
    expect((await refusal(toResponse(result))).messages).toEqual([
      wrong("SlidingToken", "sliding", "Token is blacklisted"),
    ]);
  });

  it("validate(token) without a type follows authTokenTypes; a type given still decides", async () => {
    const { jwt, ada } = await setup({ authTokenTypes: ["sliding"] });
    const sliding = await jwt.obtainSliding(ada);
    const { access } = await jwt.obtainPair(ada);
    await expect(jwt.validate(sliding)).resolves.toMatchObject({ token_type: "sliding" });
    await refused(jwt.validate(access), "Given token not valid for any token type");
    const error = await jwt.validate(access).catch((e: unknown) => e);
    expect((error as InvalidToken).messages).toEqual([wrong("SlidingToken", "sliding")]);
    expect((error as InvalidToken).cause).toMatchObject({ detail: "Token has wrong type" });
    await expect(jwt.validate(access, "access")).resolves.toMatchObject({ token_type: "access" });
  });

  it("the verify endpoint (UntypedToken) answers 200 for both types", async () => {
    const { jwt, ada, api } = await setup({ authTokenTypes: ["sliding"] });
    const post = (token: string) =>
      api.verify(
        new Request("https://api.example/api/token/verify/", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token }),
        }),
      );
    const sliding = await post(await jwt.obtainSliding(ada));
    expect([sliding.status, await sliding.json()]).toEqual([200, {}]);
    const access = await post((await jwt.obtainPair(ada)).access);
    expect([access.status, await access.json()]).toEqual([200, {}]);
  });
});

describe("authTokenTypes: the default ['access'] and both", () => {
  it("by default a sliding token is refused as AccessToken: Token has wrong type", async () => {
    const { jwt, ada, schemes } = await setup();
    const sliding = await jwt.obtainSliding(ada);
    for (const scheme of schemes) {
      const result = await authenticate(bearer(sliding), [scheme]);
      expect((await refusal(toResponse(result))).messages).toEqual([wrong("AccessToken", "access")]);
    }
  });

  it("['access', 'sliding'] accepts both; a refresh token gets one message per type, in order", async () => {
    const { jwt, ada, schemes } = await setup({ authTokenTypes: ["access", "sliding"] });
    const { access, refresh } = await jwt.obtainPair(ada);
    const sliding = await jwt.obtainSliding(ada);
    for (const scheme of schemes) {
      for (const token of [access, sliding]) {
        expect((await authenticate(bearer(token), [scheme])).outcome).toBe("success");
      }
      const result = await authenticate(bearer(refresh), [scheme]);
      expect(await refusal(toResponse(result))).toEqual({
        detail: "Given token not valid for any token type",
        code: "token_not_valid",
        messages: [wrong("AccessToken", "access"), wrong("SlidingToken", "sliding")],
      });
    }
  });

  it("an expired token under ['sliding', 'access'] names each class, in the configured order", async () => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const { jwt, ada, schemes } = await setup({ authTokenTypes: ["sliding", "access"] });
    const { access } = await jwt.obtainPair(ada);
    vi.setSystemTime((T0 + 301) * 1000);
    const result = await authenticate(bearer(access), [schemes[0]]);
    expect((await refusal(toResponse(result))).messages).toEqual([
      wrong("SlidingToken", "sliding", "Token is expired"),
      wrong("AccessToken", "access", "Token is expired"),
    ]);
  });

  it("a store that cannot answer is no refusal: the error goes on as it is", async () => {
    const { jwt, ada, schemes, revocations } = await setup({ authTokenTypes: ["sliding", "access"] });
    const sliding = await jwt.obtainSliding(ada);
    vi.spyOn(revocations, "isRevoked").mockRejectedValue(new Error("redis down"));
    await expect(authenticate(bearer(sliding), [schemes[0]])).rejects.toMatchObject({
      name: "SchemeError",
      cause: new Error("redis down"),
    });
    await expect(schemes[0].authenticate(bearer(sliding))).rejects.toThrow("redis down");
  });

  it.each([[[]], [["refresh"]], [["access", "bogus"]], ["access"]])(
    "refuses authTokenTypes %j at construction",
    (types) => {
      expect(
        () => new JWTService({ signingKey: SECRET, authTokenTypes: types as unknown as ["access"] }),
      ).toThrow(
        'JWTService: `authTokenTypes` is a non-empty list of "access" and "sliding" (a refresh token never authenticates a request).',
      );
    },
  );
});
