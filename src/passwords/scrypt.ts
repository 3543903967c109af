/**
 * Django's ScryptPasswordHasher: `scrypt$<N>$<salt>$<r>$<p>$<base64 of the 64-byte hash>`.
 * node:crypto's scrypt (libuv threadpool) where the runtime has it, else @noble/hashes in a worker
 * (worker-pool.ts), else @noble/hashes' scryptAsync on this thread.
 * @internal
 */
import { getNodeCrypto, timingSafeEqual } from "../core/crypto.js";
import { decodeBase64, encodeBase64, isWellFormed, utf8 } from "../core/encoding.js";
import { ANY_COST, costOption, parseDecimal } from "./salt.js";
import { deriveInWorker } from "./worker-pool.js";

/**
 * scrypt cost parameters (RFC 7914 §2); defaults are Django's N=2^14, r=8, p=5.
 *
 * @example
 * ```ts
 * await hashPassword(pw, { algorithm: "scrypt", scrypt: { workFactor: 2 ** 17, parallelism: 1 } });
 * ```
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt
 */
export interface ScryptOptions {
  /** CPU/memory cost `N`, a power of two from 2 to 2^20. Default 2^14. */
  workFactor?: number;
  /** Block size `r`. Default 8. */
  blockSize?: number;
  /** Parallelism `p`. Default 5 (Django's current ScryptPasswordHasher). */
  parallelism?: number;
}

/** A parsed `scrypt$…` value. */
export interface ScryptHash {
  algorithm: "scrypt";
  n: number;
  r: number;
  p: number;
  salt: string;
}

type Costs = Readonly<Required<ScryptOptions>>;

export const SCRYPT_DEFAULTS: Costs = Object.freeze({ workFactor: 2 ** 14, blockSize: 8, parallelism: 5 });
const HASH_BYTES = 64;
const MAX_N = 2 ** 20;
const MAX_MEMORY = 2 ** 31; // bytes of working memory, 128 * r * (N + p): 2 GiB

/** RFC 7914 limits (N a power of two, r * p < 2^30) plus a memory ceiling, so a hostile row cannot exhaust RAM. */
function valid(n: number, r: number, p: number): boolean {
  return n >= 2 && n <= MAX_N && (n & (n - 1)) === 0 && r * p < 2 ** 30 && 128 * r * (n + p) <= MAX_MEMORY;
}

/** Fills in and checks the configured costs; RangeError naming the bad option. */
export function resolveScrypt(options: ScryptOptions | undefined): Costs {
  const d = SCRYPT_DEFAULTS;
  const workFactor = costOption("scrypt.workFactor", options?.workFactor ?? d.workFactor, MAX_N);
  const blockSize = costOption("scrypt.blockSize", options?.blockSize ?? d.blockSize, 2 ** 30);
  const parallelism = costOption("scrypt.parallelism", options?.parallelism ?? d.parallelism, 2 ** 30);
  if (!valid(workFactor, blockSize, parallelism)) {
    throw new RangeError(
      "scrypt.workFactor must be a power of two from 2 to 2^20, blockSize × parallelism under 2^30, " +
        "and 128 × blockSize × (workFactor + parallelism) at most 2 GiB.",
    );
  }
  return { workFactor, blockSize, parallelism };
}

/**
 * Parses a stored value; null when it is not a well-formed scrypt hash (N a power of two from 2).
 * N, r and p are bounded by limits.ts, then by {@link scryptFits}.
 */
export function parseScrypt(encoded: string): ScryptHash | null {
  const [algorithm, nText, salt, rText, pText, hash, ...rest] = encoded.split("$");
  if (algorithm !== "scrypt" || rest.length > 0 || !salt || !isWellFormed(salt) || hash === undefined)
    return null;
  const n = parseDecimal(nText, ANY_COST);
  const r = parseDecimal(rText, ANY_COST);
  const p = parseDecimal(pText, ANY_COST);
  if (n === null || r === null || p === null || n < 2 || !Number.isInteger(Math.log2(n))) return null;
  if (decodeBase64(hash)?.length !== HASH_BYTES) return null;
  return { algorithm, n, r, p, salt };
}

/** `ScryptPasswordHasher.encode(password, salt, n, r, p)`. */
export async function encodeScrypt(
  password: string,
  salt: string,
  n: number,
  r: number,
  p: number,
): Promise<string> {
  const hash = await scrypt(utf8(password), utf8(salt), n, r, p);
  return `scrypt$${n}$${salt}$${r}$${p}$${encodeBase64(hash)}`;
}

/** Django's `verify`: re-encode with the stored parameters and compare the whole strings in constant time. */
export async function verifyScrypt(password: string, encoded: string, stored: ScryptHash): Promise<boolean> {
  return timingSafeEqual(encoded, await encodeScrypt(password, stored.salt, stored.n, stored.r, stored.p));
}

/** RFC 7914's limits and the 2 GiB memory ceiling, for a stored hash already within the configured limits. */
export function scryptFits(stored: ScryptHash): boolean {
  return valid(stored.n, stored.r, stored.p);
}

/**
 * True when N, r or p differs from the configured value, as Django's `ScryptPasswordHasher.must_update`
 * (`!=`, its `test_scrypt_upgrade` upgrades a higher block size too); unlike PBKDF2 and argon2, a short
 * salt does not ask for a rehash.
 */
export function scryptNeedsUpdate(stored: ScryptHash, costs: Costs): boolean {
  const { workFactor, blockSize, parallelism } = costs;
  return stored.n !== workFactor || stored.r !== blockSize || stored.p !== parallelism;
}

async function scrypt(
  password: Uint8Array,
  salt: Uint8Array,
  N: number,
  r: number,
  p: number,
): Promise<Uint8Array> {
  // OpenSSL needs 128 * r * (N + p + 2) bytes; its 32 MiB default would refuse N = 2^15 and above.
  const maxmem = 128 * r * (N + p + 2) + 65536;
  const nodeScrypt = getNodeCrypto()?.scrypt;
  if (nodeScrypt) {
    return new Promise((resolve, reject) => {
      nodeScrypt(password, salt, HASH_BYTES, { N, r, p, maxmem }, (error, key) =>
        error ? reject(error) : resolve(key),
      );
    });
  }
  const job = { kind: "scrypt", password, salt, N, r, p, dkLen: HASH_BYTES, maxmem } as const;
  return deriveInWorker(job, async () => {
    const { scryptAsync } = await import("@noble/hashes/scrypt.js");
    return scryptAsync(password, salt, { N, r, p, dkLen: HASH_BYTES, maxmem });
  });
}
