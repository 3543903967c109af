/**
 * Django's PBKDF2PasswordHasher and PBKDF2SHA1PasswordHasher:
 * `pbkdf2_sha256$<iterations>$<salt>$<base64 of PBKDF2-HMAC-SHA256(utf8(password), utf8(salt))>`.
 * One `crypto.subtle.deriveBits` per hash: off the event loop on every runtime.
 * @internal
 */
import { timingSafeEqual } from "../core/crypto.js";
import { decodeBase64, encodeBase64, isWellFormed, utf8 } from "../core/encoding.js";
import { ANY_COST, codePoints, isWeakSalt, parseDecimal } from "./salt.js";

export type Pbkdf2Algorithm = "pbkdf2_sha256" | "pbkdf2_sha1";

/** A parsed `pbkdf2_sha256$…` or `pbkdf2_sha1$…` value. */
export interface Pbkdf2Hash {
  algorithm: Pbkdf2Algorithm;
  iterations: number;
  salt: string;
}

/** WebCrypto (OpenSSL) takes the count as a C int. */
export const MAX_ITERATIONS: number = 2 ** 31 - 1;

const DIGESTS = {
  pbkdf2_sha256: { hash: "SHA-256", bytes: 32 },
  pbkdf2_sha1: { hash: "SHA-1", bytes: 20 },
} as const;

/** Parses a stored value; null when it is not a well-formed PBKDF2 hash. The count is bounded by limits.ts. */
export function parsePbkdf2(encoded: string): Pbkdf2Hash | null {
  const [algorithm, count, salt, hash, ...rest] = encoded.split("$");
  if (rest.length > 0 || (algorithm !== "pbkdf2_sha256" && algorithm !== "pbkdf2_sha1")) return null;
  const iterations = parseDecimal(count, ANY_COST);
  if (iterations === null || !salt || !isWellFormed(salt) || hash === undefined) return null;
  if (decodeBase64(hash)?.length !== DIGESTS[algorithm].bytes) return null;
  return { algorithm, iterations, salt };
}

/** `PBKDF2PasswordHasher.encode(password, salt, iterations)`. */
export async function encodePbkdf2(
  password: string,
  salt: string,
  iterations: number,
  algorithm: Pbkdf2Algorithm = "pbkdf2_sha256",
): Promise<string> {
  const derived = await derive(password, salt, iterations, algorithm);
  return `${algorithm}$${iterations}$${salt}$${encodeBase64(derived)}`;
}

/** Cloudflare Workers refuse WebCrypto PBKDF2 above this many iterations (workerd#1346). */
const WORKERD_MAX_ITERATIONS = 100_000;

async function derive(password: string, salt: string, iterations: number, algorithm: Pbkdf2Algorithm) {
  const { hash, bytes } = DIGESTS[algorithm];
  try {
    // No key cache: a cached CryptoKey would keep the password in memory.
    const key = await crypto.subtle.importKey("raw", bytesOf(password), "PBKDF2", false, ["deriveBits"]);
    const params = { name: "PBKDF2", hash, salt: bytesOf(salt), iterations };
    return new Uint8Array(await crypto.subtle.deriveBits(params, key, bytes * 8));
  } catch (error) {
    // Only a runtime that caps the count (workerd) takes the slower pure-JS path; anything else is real.
    if (iterations <= WORKERD_MAX_ITERATIONS || !isNotSupported(error)) throw error;
    const [{ pbkdf2Async }, { sha256 }, { sha1 }] = await Promise.all([
      import("@noble/hashes/pbkdf2.js"),
      import("@noble/hashes/sha2.js"),
      import("@noble/hashes/legacy.js"),
    ]);
    const digest = algorithm === "pbkdf2_sha1" ? sha1 : sha256;
    return pbkdf2Async(digest, utf8(password), utf8(salt), { c: iterations, dkLen: bytes });
  }
}

function isNotSupported(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { name?: unknown }).name === "NotSupportedError"
  );
}

/** Django's `verify`: re-encode with the stored salt and count, compare the whole strings in constant time. */
export async function verifyPbkdf2(password: string, encoded: string, stored: Pbkdf2Hash): Promise<boolean> {
  return timingSafeEqual(
    encoded,
    await encodePbkdf2(password, stored.salt, stored.iterations, stored.algorithm),
  );
}

/** True when the stored hash is weaker than pbkdf2_sha256 at `iterations` (Django's `must_update`). */
export function pbkdf2IsWeaker(stored: Pbkdf2Hash, iterations: number): boolean {
  return (
    stored.algorithm !== "pbkdf2_sha256" ||
    stored.iterations < iterations ||
    isWeakSalt(codePoints(stored.salt))
  );
}

/** Django's `harden_runtime`: after a wrong password, spend the iterations the stored hash lacks. */
export async function hardenPbkdf2(password: string, stored: Pbkdf2Hash, iterations: number): Promise<void> {
  const extra = iterations - stored.iterations;
  if (extra > 0) await encodePbkdf2(password, stored.salt, extra, stored.algorithm);
}

// A copy typed as ArrayBuffer-backed, which the DOM lib's BufferSource requires.
function bytesOf(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(utf8(text));
}
