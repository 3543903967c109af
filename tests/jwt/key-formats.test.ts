// Issue #17 item 4: PKCS#1 (`BEGIN RSA PRIVATE KEY`) and SEC1 (`BEGIN EC PRIVATE KEY`) PEMs, as simplejwt
// users have them, are accepted where node:crypto can read them; a key that does not fit its algorithm
// is refused when the service is built, naming both, never at request time.
import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import type { JWTAlgorithm } from "../../src/index.js";
import {
  authenticate,
  JWTAuthentication,
  JWTService,
  JWTStatelessUserAuthentication,
  MemoryUserStore,
  toResponse,
} from "../../src/index.js";
import { PKCS8_COMMAND, standardPem } from "../../src/jwt/key-type.js";
import { makeRequest } from "../../src/testing/index.js";

const rsa = (type: "pkcs1" | "pkcs8", publicType: "pkcs1" | "spki" = "spki") =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type, format: "pem" },
    publicKeyEncoding: { type: publicType, format: "pem" },
  });
const ec = (namedCurve: string, type: "sec1" | "pkcs8" = "sec1") =>
  generateKeyPairSync("ec", {
    namedCurve,
    privateKeyEncoding: { type, format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
const ed25519 = () =>
  generateKeyPairSync("ed25519", {
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });

// The signature checked by node:crypto with the original public key: what another verifier would do.
function verifiesWith(token: string, publicPem: string, algorithm: JWTAlgorithm): boolean {
  const [head, body, signature] = token.split(".") as [string, string, string];
  const hash = `sha${algorithm.slice(2)}`;
  const key = algorithm.startsWith("ES")
    ? { key: createPublicKey(publicPem), dsaEncoding: "ieee-p1363" as const }
    : publicPem;
  return nodeVerify(hash, Buffer.from(`${head}.${body}`), key, Buffer.from(signature, "base64url"));
}

describe("PKCS#1 and SEC1 PEMs (node:crypto present)", () => {
  const cases: Array<[JWTAlgorithm, () => { privateKey: string; publicKey: string }]> = [
    ["RS256", () => rsa("pkcs1")],
    ["RS512", () => rsa("pkcs1", "pkcs1")],
    ["PS256", () => rsa("pkcs1", "pkcs1")],
    ["ES256", () => ec("P-256")],
    ["ES384", () => ec("P-384")],
    ["ES512", () => ec("P-521")],
  ];

  for (const useNodeCrypto of [true, false]) {
    it.each(cases)(
      `signs and verifies %s with a legacy PEM (useNodeCrypto ${useNodeCrypto})`,
      async (algorithm, make) => {
        const { privateKey, publicKey } = make();
        expect(privateKey).toMatch(/-----BEGIN (RSA|EC) PRIVATE KEY-----/);
        for (const verifyingKey of [undefined, publicKey]) {
          const jwt = new JWTService({ algorithm, signingKey: privateKey, verifyingKey, useNodeCrypto });
          const { access } = await jwt.obtainPair({ id: "1" });
          await expect(jwt.validate(access, "access")).resolves.toMatchObject({ user_id: "1" });
          if (!algorithm.startsWith("PS"))
            expect(
              verifiesWith(
                access,
                createPublicKey(publicKey).export({ type: "spki", format: "pem" }) as string,
                algorithm,
              ),
            ).toBe(true);
          expect((await jwt.jwks()).keys).toHaveLength(1);
        }
      },
    );
  }

  it.each([
    ["an SPKI public PEM", "RS256", () => rsa("pkcs8")],
    ["a PKCS#1 public PEM", "RS256", () => rsa("pkcs8", "pkcs1")],
    ["an EC public PEM", "ES256", () => ec("P-256", "pkcs8")],
  ] as const)(
    "with %s as signingKey the service only verifies: tokens pass, issuing says why",
    async (_n, algorithm, make) => {
      const keys = make();
      const issuer = new JWTService({ algorithm, signingKey: keys.privateKey });
      const { access } = await issuer.obtainPair({ id: "7" });
      const verifier = new JWTService({ algorithm, signingKey: keys.publicKey });
      await expect(verifier.validate(access, "access")).resolves.toMatchObject({ user_id: "7" });
      const scheme = new JWTStatelessUserAuthentication({ jwt: verifier });
      const result = await authenticate(makeRequest({ headers: { Authorization: `Bearer ${access}` } }), [
        scheme,
      ]);
      expect(result.outcome).toBe("success");
      await expect(verifier.obtainPair({ id: "7" })).rejects.toThrow(
        "JWTService: the signingKey is a public key, which verifies tokens but cannot sign them; give the private key to issue tokens.",
      );
    },
  );

  it("takes a PKCS#1 public key as a rotated verifying key, and never changes the caller's options", async () => {
    const current = rsa("pkcs8");
    const old = rsa("pkcs1", "pkcs1");
    const issuer = new JWTService({ algorithm: "RS256", signingKey: old.privateKey, keyId: "2025" });
    const token = (await issuer.obtainPair({ id: "9" })).access;
    const settings = {
      algorithm: "RS256" as const,
      signingKey: current.privateKey,
      keyId: "2026",
      verifyingKeys: [{ kid: "2025", key: old.publicKey }],
    };
    const jwt = new JWTService(settings);
    await expect(jwt.validate(token, "access")).resolves.toMatchObject({ user_id: "9" });
    expect(settings.verifyingKeys[0]!.key).toBe(old.publicKey);
    expect(old.publicKey).toMatch(/BEGIN RSA PUBLIC KEY/);
  });

  it("refuses an encrypted legacy PEM at construction with the conversion to run", () => {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    expect(() => new JWTService({ algorithm: "RS256", signingKey: privateKey })).toThrow(
      `JWTService: the signingKey (a PKCS#1 PEM) cannot be read (encrypted or malformed?); \`${PKCS8_COMMAND}\` converts a readable one.`,
    );
  });
});

describe("where the runtime has no node:crypto", () => {
  it("refuses a PKCS#1 or SEC1 private key with the openssl pkcs8 -topk8 line, and a PKCS#1 public key", () => {
    expect(() => standardPem(rsa("pkcs1").privateKey, "signingKey", null)).toThrow(
      "JWTService: the signingKey is a PKCS#1 PEM (BEGIN RSA PRIVATE KEY), which this runtime cannot import without node:crypto; " +
        "convert it once with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem` and use key.pk8.pem.",
    );
    expect(() => standardPem(ec("P-256").privateKey, "signingKey", null)).toThrow(
      /SEC1 PEM \(BEGIN EC PRIVATE KEY\).*`openssl pkcs8 -topk8 -nocrypt -in key\.pem -out key\.pk8\.pem`/,
    );
    expect(() => standardPem(rsa("pkcs1", "pkcs1").publicKey, "verifyingKey", null)).toThrow(
      /PKCS#1 PEM \(BEGIN RSA PUBLIC KEY\).*`openssl rsa -RSAPublicKey_in -in key\.pem -pubout -out key\.spki\.pem`/,
    );
    const modern = rsa("pkcs8").privateKey;
    expect(standardPem(modern, "signingKey", null)).toBe(modern);
  });
});

// A fixed secp256k1 key: Bun's BoringSSL cannot generate one (UNKNOWN_GROUP), and only its OID is read.
const SECP256K1_PKCS8 =
  "-----BEGIN PRIVATE KEY-----\nMIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQgf9SR7gYxZKzufZCSwCh9\nbOM4CJ3ca0T4FBbzFpC3qEqhRANCAASOoV1CZ1Yh+LDncnjYzBjZk7b29a+xEefa\naJlQN1NMiGiGEgK/RW7pq+Mq/D0zhEnUqKHFs5VVCywtXGygPfvT\n-----END PRIVATE KEY-----\n";

describe("an algorithm and a key that do not match are refused when the service is built", () => {
  const p256 = ec("P-256", "pkcs8");
  const p384 = ec("P-384", "pkcs8");
  const p521 = ec("P-521", "pkcs8");
  const rsaKey = rsa("pkcs8");
  const ed = ed25519();

  it.each([
    ["ES384", p256.privateKey, "an EC P-384 key", "an EC P-256 key"],
    ["ES512", p384.privateKey, "an EC P-521 key", "an EC P-384 key"],
    ["ES256", p521.privateKey, "an EC P-256 key", "an EC P-521 key"],
    ["ES256", ec("P-256").privateKey, null, null],
    ["ES256", SECP256K1_PKCS8, "an EC P-256 key", "an EC secp256k1 key"],
    ["RS256", p256.privateKey, "an RSA key", "an EC P-256 key"],
    ["PS384", p384.privateKey, "an RSA key", "an EC P-384 key"],
    ["RS256", ed.privateKey, "an RSA key", "an Ed25519 key"],
    ["EdDSA", rsaKey.privateKey, "an Ed25519 or Ed448 key", "an RSA key"],
    ["EdDSA", p256.privateKey, "an Ed25519 or Ed448 key", "an EC P-256 key"],
    ["ES256", rsaKey.privateKey, "an EC P-256 key", "an RSA key"],
    ["ES256", ed.privateKey, "an EC P-256 key", "an Ed25519 key"],
    ["ES384", ec("P-256").privateKey, "an EC P-384 key", "an EC P-256 key"],
    ["RS256", ec("P-384").privateKey, "an EC P-384 key", null],
  ] as Array<[JWTAlgorithm, string, string | null, string | null]>)(
    "%s with the given signing PEM",
    (algorithm, signingKey, needs, got) => {
      const build = () => new JWTService({ algorithm, signingKey });
      if (needs === null) return expect(build).not.toThrow();
      if (got === null)
        return expect(build).toThrow(/RS256 needs an RSA key, but the signingKey is an EC P-384 key\./);
      expect(build).toThrow(
        new TypeError(`JWTService: ${algorithm} needs ${needs}, but the signingKey is ${got}.`),
      );
    },
  );

  it("checks the verifying key, rotated keys, certificates, JWKs and CryptoKeys too", async () => {
    expect(
      () => new JWTService({ algorithm: "ES256", signingKey: p256.privateKey, verifyingKey: p384.publicKey }),
    ).toThrow("JWTService: ES256 needs an EC P-256 key, but the verifyingKey is an EC P-384 key.");
    expect(
      () =>
        new JWTService({
          algorithm: "RS256",
          signingKey: rsaKey.privateKey,
          verifyingKeys: [{ kid: "old", key: p256.publicKey }],
        }),
    ).toThrow('JWTService: RS256 needs an RSA key, but the verifyingKeys["old"] is an EC P-256 key.');
    expect(
      () =>
        new JWTService({
          algorithm: "RS256",
          signingKey: rsaKey.privateKey,
          verifyingKeys: [{ kid: "es", key: p384.publicKey, algorithm: "ES384" }],
        }),
    ).not.toThrow();
    const jwk = await exportJWK((await generateKeyPair("ES384", { extractable: true })).privateKey);
    expect(() => new JWTService({ algorithm: "ES256", signingKey: jwk })).toThrow(
      "JWTService: ES256 needs an EC P-256 key, but the signingKey is an EC P-384 key.",
    );
    expect(
      () => new JWTService({ algorithm: "HS256", signingKey: { kty: "RSA", n: "x", e: "AQAB" } }),
    ).toThrow("JWTService: HS256 needs an HMAC secret, but the signingKey is an RSA key.");
    const rs256 = await generateKeyPair("RS256", { extractable: true });
    expect(() => new JWTService({ algorithm: "RS384", signingKey: rs256.privateKey })).toThrow(
      "JWTService: RS384 needs a CryptoKey for RSASSA-PKCS1-v1_5 SHA-384, but the signingKey is a CryptoKey for RSASSA-PKCS1-v1_5 SHA-256.",
    );
    expect(() => new JWTService({ algorithm: "PS256", signingKey: rs256.privateKey })).toThrow(
      "JWTService: PS256 needs a CryptoKey for RSA-PSS SHA-256, but the signingKey is a CryptoKey for RSASSA-PKCS1-v1_5 SHA-256.",
    );
    const es256 = await generateKeyPair("ES256", { extractable: true });
    expect(() => new JWTService({ algorithm: "ES512", signingKey: es256.privateKey })).toThrow(
      "JWTService: ES512 needs a CryptoKey for ECDSA P-521, but the signingKey is a CryptoKey for ECDSA P-256.",
    );
    expect(() => new JWTService({ algorithm: "ES256", signingKey: es256.privateKey })).not.toThrow();
    expect(
      () => new JWTService({ algorithm: "RS256", signingKey: new TextEncoder().encode(rsaKey.privateKey) }),
    ).toThrow("JWTService: the signingKey of RS256 must be a PEM, JWK or CryptoKey (not bytes).");
  });

  it("reads the key type of an X.509 certificate", () => {
    // A self-signed P-256 certificate: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256.
    const cert = `-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUPzUOKRDm7JO4uMmYwT5QdgfXVeIwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKcG9ydGN1bGxpczAeFw0yNjEyMDcxOTU0NDJaFw0zNjEyMDQx
OTU0NDJaMBUxEzARBgNVBAMMCnBvcnRjdWxsaXMwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASb/cPE4vujM8cvdBqsDXIg692S62yBA6aDiXSsNs/KudaEiaMTHDNH
nTrlchH1cRnClLb+eaKQwQrkJh11jFnTo1MwUTAdBgNVHQ4EFgQUdzZKOPiAYOx+
f+InS0tbNR7TXwswHwYDVR0jBBgwFoAUdzZKOPiAYOx+f+InS0tbNR7TXwswDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAgs09t1OwdBbv6SJMgAzA
0LttictfPVGaovME1JGZKRMCIFfEO52n2VQiNcF6VqQK9IC48i4LfqROK18tiYut
cMZt
-----END CERTIFICATE-----`;
    expect(
      () =>
        new JWTService({
          algorithm: "RS256",
          signingKey: rsaKey.privateKey,
          verifyingKeys: [{ kid: "c", key: cert }],
        }),
    ).toThrow('JWTService: RS256 needs an RSA key, but the verifyingKeys["c"] is an EC P-256 key.');
    const rotated = { kid: "c", key: cert, algorithm: "ES256" as const };
    expect(
      () => new JWTService({ algorithm: "RS256", signingKey: rsaKey.privateKey, verifyingKeys: [rotated] }),
    ).not.toThrow();
  });

  it("a mismatch never reaches a request: no 500, no DOMException", async () => {
    const users = new MemoryUserStore();
    let built: unknown = null;
    try {
      built = new JWTService({ algorithm: "ES384", signingKey: p256.privateKey, users });
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
    }
    expect(built).toBeNull();
    // The right pair answers requests as usual.
    const jwt = new JWTService({ algorithm: "ES256", signingKey: ec("P-256").privateKey, users });
    const ada = await users.create({ username: "ada", passwordHash: null });
    const { access } = await jwt.obtainPair(ada);
    const result = await authenticate(makeRequest({ headers: { Authorization: `Bearer ${access}` } }), [
      new JWTAuthentication({ jwt }),
    ]);
    expect(result.outcome).toBe("success");
    expect(toResponse(result)).toBeNull();
  });
});
