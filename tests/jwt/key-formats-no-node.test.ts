// Issue #17 item 4, on a runtime without node:crypto (a Worker, a browser): a PKCS#1 or SEC1 PEM is
// refused when the service is built, with the `openssl pkcs8 -topk8` line to run; PKCS#8 still works.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it, vi } from "vitest";

vi.mock("../../src/core/crypto.js", async (original) => ({
  ...(await original<typeof import("../../src/core/crypto.js")>()),
  getNodeCrypto: () => null,
}));

const { JWTService } = await import("../../src/jwt/service.js");

const pair = (type: "pkcs1" | "pkcs8") =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type, format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });

describe("without node:crypto", () => {
  it("refuses a PKCS#1 RSA or SEC1 EC private key at construction, naming the command", () => {
    expect(() => new JWTService({ algorithm: "RS256", signingKey: pair("pkcs1").privateKey })).toThrow(
      "JWTService: the signingKey is a PKCS#1 PEM (BEGIN RSA PRIVATE KEY), which this runtime cannot import without node:crypto; " +
        "convert it once with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem` and use key.pk8.pem.",
    );
    const sec1 = generateKeyPairSync("ec", {
      namedCurve: "P-256",
      privateKeyEncoding: { type: "sec1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    expect(() => new JWTService({ algorithm: "ES256", signingKey: sec1.privateKey })).toThrow(
      /the signingKey is a SEC1 PEM \(BEGIN EC PRIVATE KEY\).*openssl pkcs8 -topk8 -nocrypt -in key\.pem -out key\.pk8\.pem/,
    );
  });

  it("signs and verifies with PKCS#8 through WebCrypto, and still refuses a mismatch at construction", async () => {
    const { privateKey } = pair("pkcs8");
    const jwt = new JWTService({ algorithm: "RS256", signingKey: privateKey });
    const { access } = await jwt.obtainPair({ id: "1" });
    await expect(jwt.validate(access, "access")).resolves.toMatchObject({ user_id: "1" });
    expect(() => new JWTService({ algorithm: "ES256", signingKey: privateKey })).toThrow(
      "JWTService: ES256 needs an EC P-256 key, but the signingKey is an RSA key.",
    );
  });
});
