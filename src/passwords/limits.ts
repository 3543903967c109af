/**
 * Ceilings on the cost parameters a stored hash may ask for: a row with 10^9 PBKDF2 iterations or 4 GiB of
 * argon2 memory is refused before any hashing, with a warning, instead of holding a thread for minutes.
 * @internal
 */
import type { Argon2Hash, Argon2Options } from "./argon2.js";
import type { Pbkdf2Hash } from "./pbkdf2.js";
import { costOption } from "./salt.js";
import type { ScryptHash, ScryptOptions } from "./scrypt.js";

/**
 * The most a stored hash may ask for, per parameter. A hash over any of them is never run: `verifyPassword`
 * answers `{ valid: false }` (a failed login) and reports a {@link PasswordWarning}. The defaults are a few
 * times Django 5.2's own parameters (see {@link DEFAULT_PASSWORD_LIMITS}).
 *
 * @example
 * ```ts
 * // Rows written by a Django tuned to 8,000,000 PBKDF2 iterations:
 * await verifyPassword(pw, stored, { limits: { iterations: 10_000_000 } });
 * ```
 * @see https://docs.djangoproject.com/en/stable/topics/auth/passwords/#password-upgrading
 */
export interface PasswordLimits {
  /** Most PBKDF2 iterations (`pbkdf2_sha256`, `pbkdf2_sha1`). Default 5,000,000 (Django 5.2: 1,000,000). */
  iterations?: number;
  /** Most argon2 `t`, `m` (KiB) and `p`. Default `{ timeCost: 8, memoryCost: 262144, parallelism: 32 }`. */
  argon2?: Argon2Options;
  /** Most scrypt `N`, `r` and `p`. Default `{ workFactor: 2 ** 17, blockSize: 16, parallelism: 20 }`. */
  scrypt?: ScryptOptions;
}

/**
 * {@link PasswordLimits} with every default filled in.
 *
 * @example
 * ```ts
 * const { iterations }: ResolvedPasswordLimits = DEFAULT_PASSWORD_LIMITS; // 5_000_000
 * ```
 */
export interface ResolvedPasswordLimits {
  /** Most PBKDF2 iterations. */
  readonly iterations: number;
  /** Most argon2 parameters. */
  readonly argon2: Readonly<Required<Argon2Options>>;
  /** Most scrypt parameters. */
  readonly scrypt: Readonly<Required<ScryptOptions>>;
}

/**
 * The default ceilings, frozen. Django 5.2 writes PBKDF2 at 1,000,000 iterations, argon2id at t=2,
 * m=102400 KiB, p=8, and scrypt at N=2^14, r=8, p=5; the ceilings leave room for a few times that:
 * 5,000,000 iterations; argon2 t ≤ 8, m ≤ 256 MiB, p ≤ 32; scrypt N ≤ 2^17 (OWASP's highest row),
 * r ≤ 16, p ≤ 20 (at most 256 MiB of scrypt memory).
 *
 * @example
 * ```ts
 * const limits = { ...DEFAULT_PASSWORD_LIMITS, iterations: 10_000_000 };
 * ```
 * @see https://github.com/django/django/blob/stable/5.2.x/django/contrib/auth/hashers.py
 */
export const DEFAULT_PASSWORD_LIMITS: ResolvedPasswordLimits = Object.freeze({
  iterations: 5_000_000,
  argon2: Object.freeze({ timeCost: 8, memoryCost: 262_144, parallelism: 32 }),
  scrypt: Object.freeze({ workFactor: 2 ** 17, blockSize: 16, parallelism: 20 }),
});

/**
 * What `PasswordOptions.onWarning` receives when a stored hash asks for more than a ceiling allows.
 * It never carries the password or the hash.
 *
 * @example
 * ```ts
 * const onWarning = (w: PasswordWarning) => log.warn(w.message, { parameter: w.parameter, value: w.value });
 * ```
 */
export interface PasswordWarning {
  /** Always `"password_hash_over_limit"`. */
  code: "password_hash_over_limit";
  /** The stored hash's algorithm (`"pbkdf2_sha256"`, `"pbkdf2_sha1"`, `"argon2"`, `"scrypt"`). */
  algorithm: string;
  /** The limit exceeded, as named in {@link PasswordLimits}: `"iterations"`, `"argon2.memoryCost"`, … */
  parameter: string;
  /** What the stored hash asks for. */
  value: number;
  /** The configured ceiling. */
  limit: number;
  /** One line for a log, starting `portcullis:`. */
  message: string;
}

// The absolute ceilings: what the primitives accept at all (OpenSSL's C int, argon2's 32-bit block count
// and 24-bit lanes, RFC 7914's r * p < 2^30). scrypt's 2 GiB memory rule is checked on the hash itself.
const HARD = {
  iterations: 2 ** 31 - 1,
  argon2: { timeCost: 2 ** 32 - 1, memoryCost: 2 ** 22 - 1, parallelism: 2 ** 24 - 1 },
  scrypt: { workFactor: 2 ** 20, blockSize: 2 ** 30 - 1, parallelism: 2 ** 30 - 1 },
} as const;

/** Fills in and checks the configured ceilings; RangeError naming the bad one. */
export function resolveLimits(limits: PasswordLimits | undefined): ResolvedPasswordLimits {
  const d = DEFAULT_PASSWORD_LIMITS;
  const a = limits?.argon2;
  const s = limits?.scrypt;
  const get = (name: string, value: number | undefined, fallback: number, max: number) =>
    costOption(`limits.${name}`, value ?? fallback, max);
  return {
    iterations: get("iterations", limits?.iterations, d.iterations, HARD.iterations),
    argon2: {
      timeCost: get("argon2.timeCost", a?.timeCost, d.argon2.timeCost, HARD.argon2.timeCost),
      memoryCost: get("argon2.memoryCost", a?.memoryCost, d.argon2.memoryCost, HARD.argon2.memoryCost),
      parallelism: get("argon2.parallelism", a?.parallelism, d.argon2.parallelism, HARD.argon2.parallelism),
    },
    scrypt: {
      workFactor: get("scrypt.workFactor", s?.workFactor, d.scrypt.workFactor, HARD.scrypt.workFactor),
      blockSize: get("scrypt.blockSize", s?.blockSize, d.scrypt.blockSize, HARD.scrypt.blockSize),
      parallelism: get("scrypt.parallelism", s?.parallelism, d.scrypt.parallelism, HARD.scrypt.parallelism),
    },
  };
}

type Checks = [parameter: string, value: number, limit: number][];

/** The configured hashing costs must fit the ceilings, or portcullis would write hashes it then refuses. */
export function checkCostsWithinLimits(
  iterations: number,
  argon2: Required<Argon2Options>,
  scrypt: Required<ScryptOptions>,
  limits: ResolvedPasswordLimits,
): void {
  const over = firstOver([
    ["iterations", iterations, limits.iterations],
    ...argon2Checks(argon2.timeCost, argon2.memoryCost, argon2.parallelism, limits),
    ...scryptChecks(scrypt.workFactor, scrypt.blockSize, scrypt.parallelism, limits),
  ]);
  if (over) {
    const [parameter, value, limit] = over;
    throw new RangeError(
      `${parameter} (${value}) is over limits.${parameter} (${limit}): raise the limit, or portcullis would refuse its own hashes.`,
    );
  }
}

/** The first ceiling a parsed stored hash exceeds, as a warning; null when it is within every one. */
export function overLimit(
  stored: Pbkdf2Hash | Argon2Hash | ScryptHash,
  limits: ResolvedPasswordLimits,
): PasswordWarning | null {
  const checks: Checks =
    stored.algorithm === "argon2"
      ? argon2Checks(stored.t, stored.m, stored.p, limits)
      : stored.algorithm === "scrypt"
        ? scryptChecks(stored.n, stored.r, stored.p, limits)
        : [["iterations", stored.iterations, limits.iterations]];
  const over = firstOver(checks);
  if (over === null) return null;
  const [parameter, value, limit] = over;
  const message =
    `portcullis: refused a stored ${stored.algorithm} password hash without running it: ${parameter} ` +
    `${value} is over the limit of ${limit} (passwords.limits.${parameter}); the login fails.`;
  return { code: "password_hash_over_limit", algorithm: stored.algorithm, parameter, value, limit, message };
}

function argon2Checks(t: number, m: number, p: number, limits: ResolvedPasswordLimits): Checks {
  return [
    ["argon2.timeCost", t, limits.argon2.timeCost],
    ["argon2.memoryCost", m, limits.argon2.memoryCost],
    ["argon2.parallelism", p, limits.argon2.parallelism],
  ];
}

function scryptChecks(n: number, r: number, p: number, limits: ResolvedPasswordLimits): Checks {
  return [
    ["scrypt.workFactor", n, limits.scrypt.workFactor],
    ["scrypt.blockSize", r, limits.scrypt.blockSize],
    ["scrypt.parallelism", p, limits.scrypt.parallelism],
  ];
}

function firstOver(checks: Checks): Checks[number] | null {
  return checks.find(([, value, limit]) => value > limit) ?? null;
}
