// Where node:crypto reads keys (Node, Bun, Deno), jose is not called for PEMs, JWKs or the published JWK
// Set: only for a JWK Set URL (and for PEMs off Node, tests/jwt/key-formats-no-node.test.ts).
import { execFileSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { JWTAlgorithm, JWTKey } from "../../src/index.js";

const { joseLoads } = vi.hoisted(() => ({ joseLoads: { count: 0 } }));
// Every jose function portcullis could reach for keys counts its calls (a module loads only once a file).
vi.mock("jose", async (original) => {
  const jose = await original<typeof import("jose")>();
  const counted = <F extends (...args: never[]) => unknown>(f: F) =>
    ((...args: Parameters<F>) => {
      joseLoads.count++;
      return f(...args);
    }) as F;
  return {
    ...jose,
    importSPKI: counted(jose.importSPKI),
    importPKCS8: counted(jose.importPKCS8),
    importX509: counted(jose.importX509),
    importJWK: counted(jose.importJWK),
    exportJWK: counted(jose.exportJWK),
    createRemoteJWKSet: counted(jose.createRemoteJWKSet),
  };
});

const { JWTService } = await import("../../src/jwt/service.js");

afterEach(() => vi.unstubAllGlobals());

const pem = (key: KeyObject, type: "pkcs8" | "spki") =>
  key.export({ type, format: "pem" } as { type: "pkcs8"; format: "pem" }) as string;
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const p521 = generateKeyPairSync("ec", { namedCurve: "P-521" });
const ed25519 = generateKeyPairSync("ed25519");
// Ed448 where the runtime has it in node:crypto and WebCrypto (Node); Bun cannot generate it and Deno's
// WebCrypto has no Ed448, so there the case is left out (asserted present on Node below).
const ed448 = await (async () => {
  try {
    const pair = generateKeyPairSync("ed448");
    const der = pair.privateKey.export({ type: "pkcs8", format: "der" });
    await crypto.subtle.importKey("pkcs8", new Uint8Array(der), { name: "Ed448" }, false, ["sign"]);
    return pair;
  } catch {
    return null;
  }
})();
const onNode = !("bun" in process.versions) && !("Deno" in globalThis);

// A self-signed P-256 certificate and its key, made by the openssl command line.
function certificate(): { cert: string; key: string } {
  const out = execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "-"].concat(
      ["-out", "-", "-subj", "/CN=portcullis", "-days", "1"],
    ),
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)![0];
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(out)![0];
  return { cert, key };
}

type Case = [string, JWTAlgorithm, JWTKey, JWTKey | undefined];
const cases: Case[] = [
  ["RS256 PKCS#8 PEM", "RS256", pem(rsa.privateKey, "pkcs8"), undefined],
  [
    "PS384 PKCS#8 PEM with an SPKI verifying key",
    "PS384",
    pem(rsa.privateKey, "pkcs8"),
    pem(rsa.publicKey, "spki"),
  ],
  ["RS256 PKCS#1 PEM", "RS256", rsa.privateKey.export({ type: "pkcs1", format: "pem" }) as string, undefined],
  ["ES256 JWK", "ES256", p256.privateKey.export({ format: "jwk" }) as JWTKey, undefined],
  ["ES512 PKCS#8 PEM", "ES512", pem(p521.privateKey, "pkcs8"), undefined],
  ["EdDSA Ed25519 PEM", "EdDSA", pem(ed25519.privateKey, "pkcs8"), undefined],
  ["HS256 JWK", "HS256", { kty: "oct", k: Buffer.alloc(32, 7).toString("base64url") }, undefined],

  ...(ed448 === null
    ? []
    : [["EdDSA Ed448 PEM", "EdDSA", pem(ed448.privateKey, "pkcs8"), undefined] as Case]),
];

describe("with node:crypto, jose never loads for keys", () => {
  it("covers Ed448 on Node", () => {
    if (onNode) expect(ed448).not.toBeNull();
  });

  it.each(cases)(
    "%s: issues, verifies and publishes without jose",
    async (_name, algorithm, signingKey, verifyingKey) => {
      joseLoads.count = 0;
      const jwt = new JWTService({ algorithm, signingKey, ...(verifyingKey ? { verifyingKey } : {}) });
      const { access } = await jwt.obtainPair({ id: "7" });
      await expect(jwt.validate(access, "access")).resolves.toMatchObject({ user_id: "7" });
      const { keys } = await jwt.jwks();
      if (algorithm.startsWith("HS")) expect(keys).toEqual([]);
      else {
        expect(keys).toHaveLength(1);
        expect(keys[0]).toMatchObject({ alg: algorithm, use: "sig" });
        expect(keys[0]).not.toHaveProperty("d");
        expect(keys[0]).not.toHaveProperty("key_ops");
        expect(keys[0]).not.toHaveProperty("ext");
      }
      expect(joseLoads.count).toBe(0);
    },
  );

  it("verifies with an X.509 certificate as the verifying key", async () => {
    joseLoads.count = 0;
    const { cert, key } = certificate();
    const issuer = new JWTService({ algorithm: "ES256", signingKey: key });
    const { access } = await issuer.obtainPair({ id: "7" });
    const verifier = new JWTService({ algorithm: "ES256", signingKey: cert });
    await expect(verifier.validate(access, "access")).resolves.toMatchObject({ user_id: "7" });
    const other = new JWTService({ algorithm: "ES256", signingKey: pem(p256.privateKey, "pkcs8") });
    const forged = (await other.obtainPair({ id: "7" })).access;
    await expect(verifier.validate(forged, "access")).rejects.toMatchObject({ code: "token_not_valid" });
    expect(createPrivateKey(key).asymmetricKeyType).toBe("ec");
    expect(joseLoads.count).toBe(0);
  });

  it("loads jose for a JWK Set URL, at the first kid it must answer", async () => {
    joseLoads.count = 0;
    const fetched = vi.fn(async () => Response.json({ keys: [] }));
    vi.stubGlobal("fetch", fetched);
    const jwt = new JWTService({
      algorithm: "RS256",
      signingKey: pem(rsa.privateKey, "pkcs8"),
      jwkUrl: "https://issuer.example/.well-known/jwks.json",
    });
    const { access } = await jwt.obtainPair({ id: "7" });
    await expect(jwt.validate(access, "access")).resolves.toMatchObject({ user_id: "7" });
    expect(joseLoads.count).toBe(0);
    const [head, payload, signature] = access.split(".");
    const header = { ...JSON.parse(Buffer.from(head!, "base64url").toString()), kid: "elsewhere" };
    const withKid = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${payload}.${signature}`;
    await expect(jwt.validate(withKid, "access")).rejects.toMatchObject({ code: "token_not_valid" });
    expect(joseLoads.count).toBe(1);
  });
});
