// Issue #17 item 2: a `claims(user)` hook (simplejwt's get_token override) whose result every issued
// token carries, kept through refresh and rotation as simplejwt copies a refresh token's claims; the
// registered and configured claims are refused at issue time, naming the claim.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  authenticate,
  createJWTHandlers,
  hashPassword,
  JWTAuthentication,
  JWTService,
  JWTStatelessUserAuthentication,
  MemoryRevocationStore,
  MemoryUserStore,
  type TokenUser,
} from "../../src/index.js";
import type { JWTUser } from "../../src/jwt/types.js";
import { makeRequest } from "../../src/testing/index.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const T0 = 1_800_000_000;
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
const bearer = (token: string) => makeRequest({ headers: { Authorization: `Bearer ${token}` } });
const custom = (user: JWTUser) => ({ role: user.username === "ada" ? "admin" : "user", tenant: "acme" });

afterEach(() => vi.useRealTimers());

describe("the claims hook", () => {
  it("writes its claims into the pair, after simplejwt's own, from a sync or an async hook", async () => {
    for (const hook of [custom, async (user: JWTUser) => custom(user)]) {
      const jwt = new JWTService({ signingKey: SECRET, claims: hook });
      const { access, refresh } = await jwt.obtainPair({ id: "1", username: "ada" });
      expect(Object.keys(claimsOf(access))).toEqual([
        "token_type",
        "exp",
        "iat",
        "jti",
        "user_id",
        "role",
        "tenant",
      ]);
      expect(claimsOf(refresh)).toMatchObject({ token_type: "refresh", role: "admin", tenant: "acme" });
      await expect(jwt.validate(access, "access")).resolves.toMatchObject({ role: "admin", tenant: "acme" });
    }
  });

  it("is called once per issue with the user given, never again at refresh", async () => {
    const hook = vi.fn(custom);
    const jwt = new JWTService({ signingKey: SECRET, claims: hook });
    const user = { id: "2", username: "bob" };
    const { refresh } = await jwt.obtainPair(user);
    expect(hook).toHaveBeenCalledExactlyOnceWith(user);
    const next = await jwt.refresh(refresh);
    expect(claimsOf(next.access)).toMatchObject({ token_type: "access", role: "user", tenant: "acme" });
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it("survives rotation with reuse detection: every new refresh and access token carries the claims", async () => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const jwt = new JWTService({
      signingKey: SECRET,
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
      revocations: new MemoryRevocationStore(),
      claims: custom,
    });
    let { refresh } = await jwt.obtainPair({ id: "1", username: "ada" });
    for (let i = 0; i < 3; i++) {
      vi.setSystemTime((T0 + 10 * (i + 1)) * 1000);
      const next = await jwt.refresh(refresh);
      expect(claimsOf(next.access)).toMatchObject({ role: "admin", tenant: "acme", user_id: "1" });
      expect(claimsOf(next.refresh!)).toMatchObject({ role: "admin", tenant: "acme", token_type: "refresh" });
      expect(claimsOf(next.access)).not.toHaveProperty("family_id");
      refresh = next.refresh!;
    }
  });

  it("writes its claims into sliding tokens, kept when one is refreshed", async () => {
    const jwt = new JWTService({ signingKey: SECRET, claims: custom });
    const sliding = await jwt.obtainSliding({ id: "1", username: "ada" });
    expect(claimsOf(sliding)).toMatchObject({ token_type: "sliding", role: "admin", tenant: "acme" });
    expect(claimsOf(await jwt.refreshSliding(sliding))).toMatchObject({ role: "admin", tenant: "acme" });
  });

  it("reaches the obtain endpoint with the user record, and the schemes hand the claims over as auth", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: await hashPassword("pw", { iterations: 1000 }) });
    const jwt = new JWTService({ signingKey: SECRET, users, claims: custom });
    const response = await createJWTHandlers(jwt, { passwords: { iterations: 1000 } }).obtainPair(
      new Request("https://api.example/api/token/", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "ada", password: "pw" }),
      }),
    );
    expect(response.status).toBe(200);
    const { access } = (await response.json()) as { access: string };
    const stored = await authenticate(bearer(access), [new JWTAuthentication({ jwt })]);
    expect(stored.outcome === "success" && stored.auth).toMatchObject({ role: "admin", tenant: "acme" });
    const bare = await authenticate(bearer(access), [new JWTStatelessUserAuthentication({ jwt })]);
    expect(bare.outcome === "success" && (bare.user as TokenUser).get("role")).toBe("admin");
  });

  it.each([
    ["exp", {}],
    ["iat", {}],
    ["nbf", {}],
    ["jti", {}],
    ["iss", {}],
    ["aud", {}],
    ["token_type", {}],
    ["user_id", {}],
    ["family_id", {}],
    ["refresh_exp", {}],
    ["hash_password", {}],
    ["__proto__", {}],
    ["uid", { userIdClaim: "uid" }],
    ["kind", { tokenTypeClaim: "kind" }],
    ["id", { jtiClaim: "id" }],
    ["slide_until", { slidingTokenRefreshExpClaim: "slide_until" }],
  ])("refuses %j at issue time, naming it", async (name, settings) => {
    const hook = () => JSON.parse(`{"role":"x",${JSON.stringify(name)}:1}`) as Record<string, unknown>;
    const jwt = new JWTService({ signingKey: SECRET, ...settings, claims: hook });
    const message = `JWTService: the \`claims\` hook may not set "${name}": the service writes (or reads) it itself.`;
    await expect(jwt.obtainPair({ id: "1" })).rejects.toThrow(message);
    await expect(jwt.obtainSliding({ id: "1" })).rejects.toThrow(message);
  });

  it.each([
    ["user_id", { userIdClaim: "uid" }],
    ["token_type", { tokenTypeClaim: "kind" }],
    ["refresh_exp", { slidingTokenRefreshExpClaim: "slide_until" }],
  ])("refuses simplejwt's default name %j even when the setting renamed it", async (name, settings) => {
    const jwt = new JWTService({ signingKey: SECRET, ...settings, claims: () => ({ [name]: "forged" }) });
    await expect(jwt.obtainPair({ id: "1" })).rejects.toThrow(
      `JWTService: the \`claims\` hook may not set "${name}": the service writes (or reads) it itself.`,
    );
  });

  it("refuses a hook that gives no object", async () => {
    for (const bad of [null, ["role"], "role"]) {
      const broken = new JWTService({ signingKey: SECRET, claims: () => bad as unknown as object });
      await expect(broken.obtainPair({ id: "1" })).rejects.toThrow(
        "JWTService: the `claims` hook must return an object of claims.",
      );
    }
    expect(() => new JWTService({ signingKey: SECRET, claims: "role" as unknown as () => object })).toThrow(
      "JWTService: `claims` is a function of the user.",
    );
  });
});
