/**
 * Reading the configured keys: each checked against its algorithm when the service is built, then
 * imported once as CryptoKeys (node:crypto reads PEMs where present, WebCrypto JWKs and raw secrets).
 * @internal
 */
import type { JWK } from "jose";
import { utf8 } from "../core/encoding.js";
import { checkKeyFits, nodeKeyParser, standardPem } from "./key-type.js";
import type { JWTAlgorithm, JWTKey, JWTSettings } from "./settings.js";

/** A key as imported (once): its algorithm and CryptoKeys. */
export interface ImportedKey {
  kid: string | null;
  algorithm: JWTAlgorithm;
  verify: CryptoKey;
  sign: CryptoKey | null;
}

const HMAC_BYTES: Partial<Record<JWTAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };

// jose is loaded only for the JWK Set URL and for PEMs where node:crypto cannot read them; a bundler
// puts it in a chunk of its own.
export const jose = (): Promise<typeof import("jose")> => import("jose");

// The settings with PKCS#1 / SEC1 PEMs converted (key-type.ts) and every key checked against its
// algorithm; a copy, the caller's options are never changed.
export function preparedKeys(settings: JWTSettings<object>, algorithm: JWTAlgorithm): JWTSettings<object> {
  const symmetric = algorithm.startsWith("HS");
  const signingKey = standardPem(settings.signingKey, "signingKey");
  checkKeyFits(algorithm, signingKey, "signingKey");
  let verifyingKey = settings.verifyingKey;
  if (verifyingKey !== undefined && !symmetric) {
    verifyingKey = standardPem(verifyingKey, "verifyingKey");
    checkKeyFits(algorithm, verifyingKey, "verifyingKey");
  }
  const verifyingKeys = settings.verifyingKeys?.map(({ kid, key, algorithm: alg = algorithm }) => {
    const role = `verifyingKeys[${JSON.stringify(kid)}]`;
    const converted = standardPem(key, role);
    checkKeyFits(alg, converted, role);
    return { kid, key: converted, algorithm: alg };
  });
  const prepared: JWTSettings<object> = { ...settings, signingKey };
  if (verifyingKey !== undefined) prepared.verifyingKey = verifyingKey;
  if (verifyingKeys !== undefined) prepared.verifyingKeys = verifyingKeys;
  return prepared;
}

export function checkHmacLength(algorithm: JWTAlgorithm, key: JWTKey): void {
  const needed = HMAC_BYTES[algorithm];
  if (needed === undefined) return;
  // A PEM or OpenSSH key is a public or private key, never an HMAC secret (the RS256-to-HS256
  // confusion), as text or as bytes (a key file read with readFileSync), as PyJWT's prepare_key.
  if (looksLikeAsymmetricKey(key)) {
    throw new TypeError(`JWTService: an ${algorithm} secret cannot be a PEM key (a public or private key).`);
  }
  const bytes = hmacKeyBytes(key);
  if (bytes !== null && bytes < needed) {
    throw new TypeError(`JWTService: an ${algorithm} key needs at least ${needed} bytes (got ${bytes}).`);
  }
}

const ASYMMETRIC_KEY_TEXT = /-----BEGIN |^\s*(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-[a-z0-9]+) /;

function looksLikeAsymmetricKey(key: JWTKey): boolean {
  if (typeof key === "string") return ASYMMETRIC_KEY_TEXT.test(key);
  if (!(key instanceof Uint8Array)) return false;
  // Latin-1, one character per byte: the markers are ASCII, whatever the rest of the bytes are.
  let text = "";
  for (let i = 0; i < Math.min(key.length, 4096); i++) text += String.fromCharCode(key[i]!);
  return ASYMMETRIC_KEY_TEXT.test(text);
}

// The secret's length in bytes, whichever form it comes in; null when it cannot be told (jose or
// WebCrypto then refuses what is not an HMAC key at import).
function hmacKeyBytes(key: JWTKey): number | null {
  if (typeof key === "string") return utf8(key).length;
  if (key instanceof Uint8Array) return key.length;
  if (isCryptoKey(key)) {
    const bits = (key.algorithm as { length?: unknown }).length;
    return typeof bits === "number" ? Math.floor(bits / 8) : null;
  }
  const k = (key as JWK).k;
  if ((key as JWK).kty !== "oct" || typeof k !== "string") return null;
  // base64url without padding: every 4 characters hold 3 bytes.
  return Math.floor((k.replace(/=+$/, "").length * 3) / 4);
}

export async function importAll(
  settings: JWTSettings<object>,
  algorithm: JWTAlgorithm,
): Promise<ImportedKey[]> {
  const main = await importMain(settings, algorithm);
  const extra = await Promise.all(
    (settings.verifyingKeys ?? []).map(async ({ kid, key, algorithm: alg = algorithm }) => ({
      kid,
      algorithm: alg,
      verify: await importVerifying(key, alg),
      sign: null,
    })),
  );
  const entries = [main, ...extra];
  for (const entry of entries) {
    checkRsaLength(entry.algorithm, entry.verify);
    if (entry.sign !== null) checkRsaLength(entry.algorithm, entry.sign);
  }
  return entries;
}

// RSA keys under 2048 bits are refused, on the node:crypto path as jose refuses them on
// its own: at import, so both paths answer alike.
function checkRsaLength(algorithm: JWTAlgorithm, key: CryptoKey): void {
  if (!algorithm.startsWith("RS") && !algorithm.startsWith("PS")) return;
  const bits = (key.algorithm as { modulusLength?: unknown }).modulusLength;
  if (typeof bits === "number" && bits < 2048) {
    throw new TypeError(
      `JWTService: an ${algorithm} key needs a modulus of at least 2048 bits (got ${bits}).`,
    );
  }
}

async function importMain(settings: JWTSettings<object>, algorithm: JWTAlgorithm): Promise<ImportedKey> {
  const kid = settings.keyId ?? null;
  if (algorithm.startsWith("HS")) {
    const secret = await importHmac(settings.signingKey, algorithm);
    return { kid, algorithm, verify: secret, sign: secret };
  }
  if (isPublicKey(settings.signingKey)) {
    // A service that only verifies (a resource server holding the issuer's public key): issuing fails
    // with a clear error, verifying works.
    const verify = await importVerifying(settings.verifyingKey ?? settings.signingKey, algorithm);
    return { kid, algorithm, verify, sign: null };
  }
  const sign = await importPrivate(settings.signingKey, algorithm);
  const verify =
    settings.verifyingKey === undefined
      ? await publicOf(sign, algorithm)
      : await importVerifying(settings.verifyingKey, algorithm);
  return { kid, algorithm, verify, sign };
}

// An SPKI or X.509 PEM (PKCS#1 public PEMs were converted to SPKI), a JWK without `d`, a public CryptoKey.
function isPublicKey(key: JWTKey): boolean {
  if (typeof key === "string") return /-----BEGIN (PUBLIC KEY|CERTIFICATE)-----/.test(key);
  if (key instanceof Uint8Array) return false;
  if (isCryptoKey(key)) return key.type === "public";
  return !("d" in key);
}

async function importVerifying(key: JWTKey, algorithm: JWTAlgorithm): Promise<CryptoKey> {
  if (algorithm.startsWith("HS")) return importHmac(key, algorithm);
  if (typeof key === "string") return importPem(key, algorithm, "public");
  if (isCryptoKey(key)) return key;
  if (key instanceof Uint8Array)
    throw new TypeError(`JWTService: a ${algorithm} verifying key must be a PEM, JWK or CryptoKey.`);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, key_ops: _ops, ...publicJwk } = key;
  return crypto.subtle.importKey("jwk", publicJwk, importParams(algorithm, key.crv), true, ["verify"]);
}

async function importPrivate(key: JWTKey, algorithm: JWTAlgorithm): Promise<CryptoKey> {
  if (typeof key === "string") return importPem(key, algorithm, "private");
  if (isCryptoKey(key)) return key;
  if (key instanceof Uint8Array)
    throw new TypeError(`JWTService: a ${algorithm} signing key must be a PEM, JWK or CryptoKey.`);
  return crypto.subtle.importKey("jwk", key, importParams(algorithm, key.crv), true, ["sign"]);
}

// The public half of a private key, through its JWK (WebCrypto has no direct derivation).
async function publicOf(privateKey: CryptoKey, algorithm: JWTAlgorithm): Promise<CryptoKey> {
  if (!privateKey.extractable) {
    throw new TypeError("JWTService: give a `verifyingKey` when the signing CryptoKey is not extractable.");
  }
  return importVerifying((await crypto.subtle.exportKey("jwk", privateKey)) as JWK, algorithm);
}

// node:crypto reads the PEM where the runtime has it (Node, Bun, Deno); jose elsewhere.
async function importPem(
  pem: string,
  algorithm: JWTAlgorithm,
  kind: "public" | "private",
): Promise<CryptoKey> {
  const node = nodeKeyParser();
  if (node === null) {
    const { importPKCS8, importSPKI, importX509 } = await jose();
    if (kind === "private") return importPKCS8(pem, algorithm, { extractable: true });
    const importPublic = pem.includes("BEGIN CERTIFICATE") ? importX509 : importSPKI;
    return importPublic(pem, algorithm, { extractable: true });
  }
  const format = kind === "private" ? "pkcs8" : "spki";
  const key = kind === "private" ? node.createPrivateKey(pem) : node.createPublicKey(pem);
  const curve = key.asymmetricKeyType === "ed448" ? "Ed448" : "Ed25519";
  const der = new Uint8Array(key.export({ type: format, format: "der" }) as Uint8Array);
  return crypto.subtle.importKey(format, der, importParams(algorithm, curve), true, [
    kind === "private" ? "sign" : "verify",
  ]);
}

// WebCrypto's import parameters for an asymmetric algorithm; EdDSA's curve is the key's own.
function importParams(
  algorithm: JWTAlgorithm,
  curve: string | undefined,
): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  const hash = `SHA-${algorithm.slice(2)}`;
  if (algorithm.startsWith("RS")) return { name: "RSASSA-PKCS1-v1_5", hash };
  if (algorithm.startsWith("PS")) return { name: "RSA-PSS", hash };
  if (algorithm.startsWith("ES"))
    return { name: "ECDSA", namedCurve: algorithm === "ES512" ? "P-521" : `P-${algorithm.slice(2)}` };
  return { name: curve === "Ed448" ? "Ed448" : "Ed25519" };
}

async function importHmac(key: JWTKey, algorithm: JWTAlgorithm): Promise<CryptoKey> {
  if (isCryptoKey(key)) return key;
  const bytes = typeof key === "string" ? utf8(key) : key instanceof Uint8Array ? key : null;
  const hash = `SHA-${algorithm.slice(2)}`;
  const usages: KeyUsage[] = ["sign", "verify"];
  if (bytes === null) {
    const { key_ops: _ops, ...jwk } = key as JWK;
    return crypto.subtle.importKey("jwk", jwk, { name: "HMAC", hash }, false, usages);
  }
  return crypto.subtle.importKey("raw", new Uint8Array(bytes), { name: "HMAC", hash }, false, usages);
}

function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof CryptoKey !== "undefined" && key instanceof CryptoKey;
}
