// JWS signature bytes through the public API, on both crypto backends (node:crypto and WebCrypto): ECDSA
// signatures are r ‖ s (RFC 7518 §3.4) and a DER one is refused; a signature of any other length is
// refused, never an error; tokens signed outside portcullis verify.
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type JWTAlgorithm, JWTService } from "../../src/index.js";
import { refused } from "./refused.js";

const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");

function claims(): string {
  const exp = Math.floor(Date.now() / 1000) + 300;
  return JSON.stringify({ token_type: "access", exp, jti: "j".repeat(32), user_id: "7" });
}

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };
const CASES: [JWTAlgorithm, () => KeyPair, string | null, object][] = [
  ["ES256", () => generateKeyPairSync("ec", { namedCurve: "P-256" }), "sha256", {}],
  ["ES384", () => generateKeyPairSync("ec", { namedCurve: "P-384" }), "sha384", {}],
  ["ES512", () => generateKeyPairSync("ec", { namedCurve: "P-521" }), "sha512", {}],
  ["RS256", () => generateKeyPairSync("rsa", { modulusLength: 2048 }), "sha256", {}],
  [
    "PS256",
    () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
    "sha256",
    { padding: 6, saltLength: 32 },
  ],
  ["EdDSA", () => generateKeyPairSync("ed25519"), null, {}],
];

describe.each(CASES)("%s signatures", (algorithm, pair, hash, options) => {
  const { publicKey, privateKey } = pair();
  const signingKey = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const input = `${b64u(JSON.stringify({ alg: algorithm, typ: "JWT" }))}.${b64u(claims())}`;
  const signed = (encoding: "der" | "ieee-p1363") =>
    sign(hash, Buffer.from(input), { key: privateKey, dsaEncoding: encoding, ...options });
  const token = (signature: Uint8Array) => `${input}.${b64u(signature)}`;
  const services = [true, false].map(
    (useNodeCrypto) => new JWTService({ algorithm, signingKey, useNodeCrypto }),
  );

  it.each([true, false])("verifies a token signed outside portcullis (useNodeCrypto: %s)", async (node) => {
    const jwt = services[node ? 0 : 1]!;
    await expect(jwt.validate(token(signed("ieee-p1363")), "access")).resolves.toMatchObject({
      user_id: "7",
    });
  });

  it.each([true, false])(
    "refuses a signature cut short, lengthened or emptied (useNodeCrypto: %s)",
    async (node) => {
      const jwt = services[node ? 0 : 1]!;
      const good = signed("ieee-p1363");
      for (const bad of [
        good.subarray(1),
        Buffer.concat([good, Buffer.from([0])]),
        new Uint8Array(good.length),
      ]) {
        await refused(jwt.validate(token(bad), "access"), "Token is invalid");
      }
      await refused(jwt.validate(`${input}.`, "access"), "Token is invalid");
    },
  );

  if (algorithm.startsWith("ES")) {
    it.each([true, false])(
      "refuses the DER encoding of a valid signature (useNodeCrypto: %s)",
      async (node) => {
        const jwt = services[node ? 0 : 1]!;
        const der = signed("der");
        expect(der[0]).toBe(0x30); // SEQUENCE { INTEGER r, INTEGER s }
        expect(publicKey.asymmetricKeyType).toBe("ec");
        await refused(jwt.validate(token(der), "access"), "Token is invalid");
      },
    );
  }

  it("signs tokens each backend verifies, with r ‖ s for ECDSA", async () => {
    for (const issuer of services) {
      const { access } = await issuer.obtainPair({ id: "7" });
      const signature = Buffer.from(access.slice(access.lastIndexOf(".") + 1), "base64url");
      const size = { ES256: 64, ES384: 96, ES512: 132, RS256: 256, PS256: 256, EdDSA: 64 }[
        algorithm as string
      ];
      expect(signature.length).toBe(size);
      for (const verifier of services) {
        await expect(verifier.validate(access, "access")).resolves.toMatchObject({ user_id: "7" });
      }
    }
  });
});

describe.each([
  ["RS256", {}],
  ["PS256", { padding: 6, saltLength: 32 }],
] as const)(
  "a %s signature with its leading zero byte stripped (Node 24's WebCrypto took PS256's)",
  (algorithm, options) => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const signingKey = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const head = b64u(JSON.stringify({ alg: algorithm, typ: "JWT" }));
    // Try claims (and PSS salts) until a signature starts with 0x00: 1 in 256.
    let input = "";
    let signature = Buffer.alloc(0);
    for (let n = 0; signature[0] !== 0; n++) {
      const exp = Math.floor(Date.now() / 1000) + 300;
      const jti = `${n}`.padStart(32, "0");
      input = `${head}.${b64u(JSON.stringify({ token_type: "access", exp, jti, user_id: "7" }))}`;
      signature = sign("sha256", Buffer.from(input), { key: privateKey, ...options });
    }

    it.each([true, false])(
      "is refused, and the whole one verifies (useNodeCrypto: %s)",
      async (useNodeCrypto) => {
        const jwt = new JWTService({ algorithm, signingKey, useNodeCrypto });
        await expect(jwt.validate(`${input}.${b64u(signature)}`, "access")).resolves.toMatchObject({
          user_id: "7",
        });
        await refused(jwt.validate(`${input}.${b64u(signature.subarray(1))}`, "access"), "Token is invalid");
      },
    );
  },
);
