// Issue #17 item 5: `jtiClaim: null` (simplejwt's JTI_CLAIM = None) issues tokens without a jti; a
// configuration that needs one is refused when the service is built.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { JWTService } from "../../src/jwt/service.js";
import { JWTAuthentication } from "../../src/schemes/jwt.js";
import { MemoryRevocationStore, MemoryUserStore } from "../../src/stores/memory.js";
import { makeRequest } from "../../src/testing/index.js";
import { refused } from "./refused.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
const seg = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
function hs256(claims: Record<string, unknown>): string {
  const input = `${seg({ alg: "HS256", typ: "JWT" })}.${seg(claims)}`;
  return `${input}.${createHmac("sha256", SECRET).update(input).digest("base64url")}`;
}

describe("jtiClaim: null", () => {
  it("issues pair, refreshed and sliding tokens without a jti, and they validate", async () => {
    const jwt = new JWTService({ signingKey: SECRET, jtiClaim: null });
    const { access, refresh } = await jwt.obtainPair({ id: "5" });
    expect(Object.keys(claimsOf(access))).toEqual(["token_type", "exp", "iat", "user_id"]);
    expect(Object.keys(claimsOf(refresh))).toEqual(["token_type", "exp", "iat", "user_id"]);
    await expect(jwt.validate(access, "access")).resolves.toMatchObject({ user_id: "5" });
    await expect(jwt.verify(refresh)).resolves.toMatchObject({ token_type: "refresh" });
    const next = await jwt.refresh(refresh);
    expect(claimsOf(next.access)).not.toHaveProperty("jti");
    expect(next.refresh).toBeUndefined();
    const sliding = await jwt.obtainSliding({ id: "5" });
    expect(claimsOf(sliding)).not.toHaveProperty("jti");
    expect(claimsOf(await jwt.refreshSliding(sliding))).not.toHaveProperty("jti");
    expect(jwt.settings.withJti).toBe(false);
  });

  it("authenticates a Bearer token without a jti (and one with a jti too)", async () => {
    const users = new MemoryUserStore();
    const ada = await users.create({ username: "ada", passwordHash: null });
    const jwt = new JWTService({ signingKey: SECRET, jtiClaim: null, users });
    const auth = new JWTAuthentication({ jwt });
    const { access } = await jwt.obtainPair(ada);
    const result = await auth.authenticate(makeRequest({ headers: { Authorization: `Bearer ${access}` } }));
    expect(result?.user).toEqual({ id: ada.id, username: "ada" });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const withJti = hs256({ token_type: "access", exp, jti: "x", user_id: ada.id });
    await expect(jwt.validate(withJti, "access")).resolves.toBeDefined();
  });

  it("the default still requires a jti: 'Token has no id'", async () => {
    const jwt = new JWTService({ signingKey: SECRET });
    const token = hs256({ token_type: "access", exp: Math.floor(Date.now() / 1000) + 60, user_id: "1" });
    await refused(jwt.validate(token, "access"), "Token has no id");
    await expect(
      new JWTService({ signingKey: SECRET, jtiClaim: null }).validate(token, "access"),
    ).resolves.toBeDefined();
  });

  it.each([
    ["a revocation store", { revocations: new MemoryRevocationStore() }, "a `revocations` store"],
    [
      "rotation with reuse detection",
      { revocations: new MemoryRevocationStore(), rotateRefreshTokens: true },
      "a `revocations` store",
    ],
    [
      "blacklistAfterRotation",
      { blacklistAfterRotation: true, rotateRefreshTokens: true },
      "`blacklistAfterRotation`",
    ],
    ["checkRevokedAccess", { checkRevokedAccess: true }, "`checkRevokedAccess`"],
    ["rotation without a store", { rotateRefreshTokens: true }, "`rotateRefreshTokens`"],
  ])("is refused at construction with %s", (_name, settings, named) => {
    expect(() => new JWTService({ signingKey: SECRET, jtiClaim: null, ...settings })).toThrow(
      `JWTService: \`jtiClaim: null\` issues tokens without a jti, but ${named} names tokens by their jti ` +
        "(blacklist, rotation, revoked access tokens). Set `jtiClaim`, or leave that setting off.",
    );
  });

  it("refuses an empty or non-string jtiClaim", () => {
    expect(() => new JWTService({ signingKey: SECRET, jtiClaim: "" })).toThrow(
      "JWTService: `jtiClaim` is a claim name, or null for tokens without a jti.",
    );
  });
});
