// Run by scripts/test-runtimes.mjs only (vitest.runtimes.config.ts), inside the runtime under test: which
// runtime the vitest workers really ran on, and which crypto path src/ takes there (node:crypto through
// process.getBuiltinModule, or the portable WebCrypto and @noble/hashes path). Written to the JSON file
// named by PORTCULLIS_RT_PROBE for the driver's summary line.
import { writeFileSync } from "node:fs";
import { expect, it } from "vitest";
import { getNodeBuffer, getNodeCrypto } from "../../src/core/crypto.js";
import { nodeBackend } from "../../src/jwt/jws-backends.js";

interface RuntimeGlobals {
  Bun?: { version: string };
  Deno?: { version: { deno: string } };
}

it("reports the runtime and the crypto path src/ takes on it", async () => {
  const g = globalThis as RuntimeGlobals;
  const runtime = g.Deno
    ? { name: "deno", version: g.Deno.version.deno }
    : g.Bun
      ? { name: "bun", version: g.Bun.version }
      : { name: "node", version: process.versions.node };
  const node = getNodeCrypto();

  // The key shapes src/jwt/keys.ts makes: a non-extractable HMAC key, an extractable ECDSA pair.
  const hmac = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(32).fill(7),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
  const ec = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  // Where the node:crypto backend takes the keys it must round-trip, synchronously.
  const roundTrip = (algorithm: "HS256" | "ES256", verifyKey: CryptoKey, signKey: CryptoKey): boolean => {
    const [verifying, signing] = [
      nodeBackend?.key(algorithm, verifyKey),
      nodeBackend?.key(algorithm, signKey),
    ];
    if (nodeBackend === null || verifying == null || signing == null) return false;
    const signature = nodeBackend.sign(algorithm, signing, "a.b");
    expect(signature).toBeInstanceOf(Uint8Array);
    expect(nodeBackend.verify(algorithm, verifying, "a.b", signature as Uint8Array)).toBe(true);
    return true;
  };
  const hs256 = roundTrip("HS256", hmac, hmac);
  const es256 = roundTrip("ES256", ec.publicKey, ec.privateKey);

  const report = {
    runtime,
    getBuiltinModule: typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === "function",
    nodeCrypto: node !== null,
    nodeBuffer: getNodeBuffer() !== null,
    tokenDigest: typeof node?.hash === "function" ? "node" : "noble",
    scrypt: typeof node?.scrypt === "function" ? "node" : "noble",
    argon2: typeof node?.argon2 === "function" ? "node" : "noble",
    jwtHS256: hs256 ? "node" : "webcrypto",
    jwtES256: es256 ? "node" : "webcrypto",
  };
  const out = process.env.PORTCULLIS_RT_PROBE;
  if (out) writeFileSync(out, JSON.stringify(report));
  expect(report.runtime.name).toBe(process.env.PORTCULLIS_RT_EXPECT ?? report.runtime.name);
});
