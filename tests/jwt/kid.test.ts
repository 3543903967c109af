// Issue #17 item 3: with one verifying key and no keyId, PyJWT and simplejwt ignore the header's kid;
// with several keys, or keys with ids, the kid selects and an unknown one is refused.
import { createHmac } from "node:crypto";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { JWTService } from "../../src/jwt/service.js";
import { refused } from "./refused.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const OTHER = "another-test-secret-of-at-least-32-bytes";

const seg = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
function hs256(header: Record<string, unknown>, secret = SECRET): string {
  const claims = {
    token_type: "access",
    exp: Math.floor(Date.now() / 1000) + 60,
    iat: Math.floor(Date.now() / 1000),
    jti: "a".repeat(32),
    user_id: "1",
  };
  const input = `${seg(header)}.${seg(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

describe("kid with a single verifying key and no keyId", () => {
  it.each([["2026"], ["some-other-issuer-key"], [""], ["../../etc/passwd"], ["__proto__"]])(
    "accepts a correctly signed token whose kid is %j, on every path and from the header cache",
    async (kid) => {
      for (const useNodeCrypto of [true, false]) {
        const jwt = new JWTService({ signingKey: SECRET, useNodeCrypto });
        const token = hs256({ alg: "HS256", kid, typ: "JWT" });
        for (let i = 0; i < 2; i++)
          await expect(jwt.validate(token, "access")).resolves.toMatchObject({ user_id: "1" });
      }
    },
  );

  it("still refuses a token signed by another key, a non-string kid and another algorithm", async () => {
    const jwt = new JWTService({ signingKey: SECRET });
    await refused(jwt.validate(hs256({ alg: "HS256", kid: "x" }, OTHER), "access"), "Token is invalid");
    for (const kid of [1, null, ["a"], { a: 1 }, true]) {
      await refused(jwt.validate(hs256({ alg: "HS256", kid }), "access"), "Token is invalid");
    }
    await refused(jwt.validate(hs256({ alg: "HS512", kid: "x" }), "access"), "Token is invalid");
  });

  it("accepts any kid on an asymmetric single key (ES256, verifying key given)", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwt = new JWTService({
      algorithm: "ES256",
      signingKey: await exportJWK(privateKey),
      verifyingKey: await exportSPKI(publicKey),
    });
    const token = await new SignJWT({ token_type: "access", jti: "b".repeat(32), user_id: "3" })
      .setProtectedHeader({ alg: "ES256", kid: "idp-key-7" })
      .setExpirationTime("1m")
      .sign(privateKey);
    await expect(jwt.validate(token, "access")).resolves.toMatchObject({ user_id: "3" });
  });
});

describe("kid with keyed or several keys selects, and refuses an unknown one", () => {
  it("a keyId on the only key: its kid, no kid, and nothing else", async () => {
    const jwt = new JWTService({ signingKey: SECRET, keyId: "2026" });
    await expect(jwt.validate(hs256({ alg: "HS256", kid: "2026" }), "access")).resolves.toBeDefined();
    await expect(jwt.validate(hs256({ alg: "HS256" }), "access")).resolves.toBeDefined();
    await refused(jwt.validate(hs256({ alg: "HS256", kid: "2025" }), "access"), "Token is invalid");
  });

  it("several keys without a main keyId: an unknown kid is refused, a known one selects its key", async () => {
    const jwt = new JWTService({ signingKey: SECRET, verifyingKeys: [{ kid: "old", key: OTHER }] });
    await expect(jwt.validate(hs256({ alg: "HS256", kid: "old" }, OTHER), "access")).resolves.toBeDefined();
    await expect(jwt.validate(hs256({ alg: "HS256" }), "access")).resolves.toBeDefined();
    await refused(jwt.validate(hs256({ alg: "HS256", kid: "new" }), "access"), "Token is invalid");
    await refused(jwt.validate(hs256({ alg: "HS256", kid: "old" }), "access"), "Token is invalid");
  });
});
