/**
 * Key material and shared sizes for the JWT comparisons: one key (pair) per algorithm, generated once
 * per run with jose and handed to every contender in the form it takes: PEM (PKCS#8 / SPKI) or the
 * secret string, and a node:crypto KeyObject of the same key where a contender is faster with one.
 */
import { createPublicKey, createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";

/** Distinct tokens in the cold verify comparisons, cycled. */
export const COLD_TOKENS = 10_000;

/**
 * Other tokens each warm cache holds besides the one measured, as a server's would. With a single entry,
 * portcullis's Map-based LRU (a delete and a set per hit) ran ~15% slower than with a few: a quirk of V8's
 * hash table at one entry, not the case being measured.
 */
export const WARM_CACHE_FILL = 99;

/** The algorithms the JWT sections measure. */
export const JWT_ALGORITHMS = ["HS256", "RS256", "ES256", "EdDSA"] as const;
export type BenchAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** One algorithm's key in every form a contender takes. */
export interface BenchKey {
  algorithm: BenchAlgorithm;
  /** What signs: the secret (HS256) or the PKCS#8 PEM. */
  signing: string;
  /** What verifies: the secret (HS256) or the SPKI PEM. */
  verifying: string;
  /** The verifying key as a node:crypto KeyObject (a secret key for HS256). */
  verifyingObject: KeyObject;
}

const keys = new Map<BenchAlgorithm, Promise<BenchKey>>();

async function generate(algorithm: BenchAlgorithm): Promise<BenchKey> {
  if (algorithm === "HS256") {
    // 32 random bytes as base64url text: 43 bytes of key, as a Django SECRET_KEY-style string.
    const secret = randomBytes(32).toString("base64url");
    return {
      algorithm,
      signing: secret,
      verifying: secret,
      verifyingObject: createSecretKey(Buffer.from(secret, "utf8")),
    };
  }
  const pair = await generateKeyPair(algorithm, { extractable: true });
  const verifying = await exportSPKI(pair.publicKey);
  return {
    algorithm,
    signing: await exportPKCS8(pair.privateKey),
    verifying,
    verifyingObject: createPublicKey(verifying),
  };
}

/** The run's key for `algorithm` (generated on first use). */
export function benchKey(algorithm: BenchAlgorithm): Promise<BenchKey> {
  let key = keys.get(algorithm);
  if (key === undefined) {
    key = generate(algorithm);
    keys.set(algorithm, key);
  }
  return key;
}
