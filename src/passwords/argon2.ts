/**
 * Django's Argon2PasswordHasher: `argon2` + argon2-cffi's PHC string,
 * `argon2$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<b64 salt>$<b64 hash>` (base64 without padding).
 * Also verifies argon2i, argon2d and version 0x10 (with or without the `v=` field).
 * node:crypto's argon2 (Node >= 24.7, version 0x13 only) where present, else @noble/hashes in a worker
 * (worker-pool.ts), else @noble/hashes' async variants on this thread.
 * @internal
 */
import { getNodeCrypto, timingSafeEqual } from "../core/crypto.js";
import { decodeBase64, encodeBase64NoPad, utf8 } from "../core/encoding.js";
import { ANY_COST, costOption, isWeakSalt, parseDecimal } from "./salt.js";
import { deriveInWorker } from "./worker-pool.js";

/**
 * Argon2id cost parameters (RFC 9106 §3.1); defaults are OWASP's m=19456 KiB, t=2, p=1.
 *
 * @example
 * ```ts
 * await hashPassword(pw, { algorithm: "argon2", argon2: { memoryCost: 47_104, timeCost: 1 } });
 * ```
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id
 */
export interface Argon2Options {
  /** Passes over memory (`t`). Default 2. */
  timeCost?: number;
  /** Memory in KiB (`m`), at least 8 × parallelism. Default 19456 (19 MiB). */
  memoryCost?: number;
  /** Lanes (`p`), 1 to 2^24 - 1. Default 1. */
  parallelism?: number;
}

export type Argon2Type = "argon2id" | "argon2i" | "argon2d";

/** A parsed `argon2$…` value. */
export interface Argon2Hash {
  algorithm: "argon2";
  type: Argon2Type;
  version: 0x10 | 0x13;
  t: number;
  m: number;
  p: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

type Costs = Readonly<Required<Argon2Options>>;

export const ARGON2_DEFAULTS: Costs = Object.freeze({ timeCost: 2, memoryCost: 19_456, parallelism: 1 });
const MAX_T = 2 ** 32 - 1;
const MAX_P = 2 ** 24 - 1;
const MAX_M = 2 ** 22 - 1; // KiB: just under 4 GiB, so the block array's byte count fits 32 bits
const TYPES: readonly string[] = ["argon2id", "argon2i", "argon2d"];
const PARAMS = /^m=([0-9]+),t=([0-9]+),p=([0-9]+)$/;

/** Fills in and checks the configured costs; RangeError naming the bad option. */
export function resolveArgon2(options: Argon2Options | undefined): Costs {
  const d = ARGON2_DEFAULTS;
  const timeCost = costOption("argon2.timeCost", options?.timeCost ?? d.timeCost, MAX_T);
  const memoryCost = costOption("argon2.memoryCost", options?.memoryCost ?? d.memoryCost, MAX_M);
  const parallelism = costOption("argon2.parallelism", options?.parallelism ?? d.parallelism, MAX_P);
  if (memoryCost < 8 * parallelism) {
    throw new RangeError("argon2.memoryCost must be at least 8 × argon2.parallelism.");
  }
  return { timeCost, memoryCost, parallelism };
}

/** Parses a stored value; null when it is not a well-formed Argon2 hash. t, m and p are bounded by limits.ts. */
export function parseArgon2(encoded: string): Argon2Hash | null {
  const parts = encoded.split("$");
  const [algorithm, type] = parts;
  if (algorithm !== "argon2" || type === undefined || !TYPES.includes(type)) return null;
  if (parts.length === 5) parts.splice(2, 0, "v=16"); // Django's oldest form: no version field, 0x10
  if (parts.length !== 6) return null;
  const version = parts[2] === "v=19" ? 0x13 : parts[2] === "v=16" ? 0x10 : null;
  const match = PARAMS.exec(parts[3] ?? "");
  const m = parseDecimal(match?.[1], ANY_COST);
  const t = parseDecimal(match?.[2], ANY_COST);
  const p = parseDecimal(match?.[3], ANY_COST);
  const salt = unpadded(parts[4]);
  const hash = unpadded(parts[5]);
  if (version === null || m === null || t === null || p === null || m < 8 * p) return null;
  if (!salt || salt.length < 8 || !hash || hash.length < 4) return null; // RFC 9106 §3.1 minimums
  return { algorithm, type: type as Argon2Type, version, t, m, p, salt, hash };
}

/** `Argon2PasswordHasher.encode(password, salt)`: argon2id, version 0x13, a 32-byte hash. */
export async function encodeArgon2(password: string, salt: string, costs: Costs): Promise<string> {
  const { timeCost: t, memoryCost: m, parallelism: p } = costs;
  const saltBytes = utf8(salt);
  if (saltBytes.length < 8) throw new RangeError("salt must be at least 8 bytes for argon2.");
  const hash = await argon2("argon2id", 0x13, utf8(password), saltBytes, t, m, p, 32);
  return `argon2$argon2id$v=19$m=${m},t=${t},p=${p}$${encodeBase64NoPad(saltBytes)}$${encodeBase64NoPad(hash)}`;
}

/** Re-derives with every stored parameter and compares the hash bytes in constant time. */
export async function verifyArgon2(password: string, stored: Argon2Hash): Promise<boolean> {
  const { type, version, salt, t, m, p, hash } = stored;
  return timingSafeEqual(hash, await argon2(type, version, utf8(password), salt, t, m, p, hash.length));
}

/** True for another variant or version, a lower t, m or p, or a salt under 128 bits. */
export function argon2IsWeaker(stored: Argon2Hash, costs: Costs): boolean {
  const { type, version, t, m, p, salt } = stored;
  if (type !== "argon2id" || version !== 0x13 || isWeakSalt(salt.length)) return true;
  return t < costs.timeCost || m < costs.memoryCost || p < costs.parallelism;
}

/** PHC base64: unpadded and canonical (re-encodes to the same text), else null. */
function unpadded(text: string | undefined): Uint8Array | null {
  const bytes = text === undefined ? null : decodeBase64(text, false);
  return bytes && encodeBase64NoPad(bytes) === text ? bytes : null;
}

async function argon2(
  type: Argon2Type,
  version: 0x10 | 0x13,
  password: Uint8Array,
  salt: Uint8Array,
  t: number,
  m: number,
  p: number,
  dkLen: number,
): Promise<Uint8Array> {
  const nodeArgon2 = getNodeCrypto()?.argon2;
  if (typeof nodeArgon2 === "function" && version === 0x13) {
    const parameters = {
      message: password,
      nonce: salt,
      parallelism: p,
      tagLength: dkLen,
      memory: m,
      passes: t,
    };
    return new Promise((resolve, reject) => {
      nodeArgon2(type, parameters, (error, key) => (error ? reject(error) : resolve(key)));
    });
  }
  const job = { kind: "argon2", type, version, password, salt, t, m, p, dkLen } as const;
  return deriveInWorker(job, async () => {
    // No worker here: noble's async variants yield to the event loop every few milliseconds.
    const noble = await import("@noble/hashes/argon2.js");
    const derive = {
      argon2id: noble.argon2idAsync,
      argon2i: noble.argon2iAsync,
      argon2d: noble.argon2dAsync,
    }[type];
    return derive(password, salt, { t, m, p, version, dkLen, maxmem: m * 1024 });
  });
}
