/**
 * Django-compatible password hashing: hash, verify, upgrade-on-login and unusable passwords.
 * @module
 */
import { randomString } from "../core/crypto.js";
import { isWellFormed } from "../core/encoding.js";
import {
  ARGON2_DEFAULTS,
  type Argon2Hash,
  type Argon2Options,
  argon2IsWeaker,
  encodeArgon2,
  parseArgon2,
  resolveArgon2,
  verifyArgon2,
} from "./argon2.js";
import {
  checkCostsWithinLimits,
  DEFAULT_PASSWORD_LIMITS,
  overLimit,
  type PasswordLimits,
  type PasswordWarning,
  type ResolvedPasswordLimits,
  resolveLimits,
} from "./limits.js";
import {
  encodePbkdf2,
  hardenPbkdf2,
  MAX_ITERATIONS,
  type Pbkdf2Hash,
  parsePbkdf2,
  pbkdf2IsWeaker,
  verifyPbkdf2,
} from "./pbkdf2.js";
import { checkSalt, costOption, makeSalt } from "./salt.js";
import {
  encodeScrypt,
  parseScrypt,
  resolveScrypt,
  SCRYPT_DEFAULTS,
  type ScryptHash,
  type ScryptOptions,
  scryptFits,
  scryptNeedsUpdate,
  verifyScrypt,
} from "./scrypt.js";

export type { Argon2Options, PasswordLimits, PasswordWarning, ResolvedPasswordLimits, ScryptOptions };
export { DEFAULT_PASSWORD_LIMITS };

/**
 * The algorithms portcullis writes. It also verifies `pbkdf2_sha1`, argon2i and argon2d hashes.
 *
 * @example
 * ```ts
 * const algorithm: PasswordAlgorithm = "argon2";
 * ```
 * @see https://docs.djangoproject.com/en/stable/topics/auth/passwords/#included-hashers
 */
export type PasswordAlgorithm = "pbkdf2_sha256" | "argon2" | "scrypt";

/**
 * What {@link hashPassword} writes and what {@link verifyPassword} compares a stored hash against.
 * Pass the same object to both; it is never modified.
 *
 * @example
 * ```ts
 * const passwords: PasswordOptions = { algorithm: "scrypt", scrypt: { workFactor: 2 ** 17, parallelism: 1 } };
 * ```
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
 */
export interface PasswordOptions {
  /** Algorithm for new hashes. Default `"pbkdf2_sha256"` (Django's default hasher). */
  algorithm?: PasswordAlgorithm;
  /** PBKDF2-HMAC-SHA256 iterations, 1 to 2^31 - 1. Default 600,000 (OWASP's floor). */
  iterations?: number;
  /** Argon2id parameters, used when `algorithm` is `"argon2"`. */
  argon2?: Argon2Options;
  /** scrypt parameters, used when `algorithm` is `"scrypt"`. */
  scrypt?: ScryptOptions;
  /**
   * The most a stored hash may ask for (DoS ceilings). A hash over one is refused unrun: a failed login and a
   * warning. Default {@link DEFAULT_PASSWORD_LIMITS}. The costs above must fit within them.
   */
  limits?: PasswordLimits;
  /** Receives each refused hash's {@link PasswordWarning}. Default: `console.warn(warning.message)`. */
  onWarning?: (warning: PasswordWarning) => void;
}

/**
 * Options of {@link hashPassword}: {@link PasswordOptions} plus a fixed salt for known-answer tests.
 *
 * @example
 * ```ts
 * await hashPassword("lètmein", { iterations: 600_000, salt: "seasalt" }); // Django's test_pbkdf2 vector
 * ```
 * @see https://github.com/django/django/blob/main/tests/auth_tests/test_hashers.py
 */
export interface HashPasswordOptions extends PasswordOptions {
  /** A fixed salt, for known-answer tests only: non-empty, no `"$"` (Django's rule). Default: 22 random [a-zA-Z0-9]. */
  salt?: string;
}

/**
 * The outcome of {@link verifyPassword}.
 *
 * @example
 * ```ts
 * const { valid, needsRehash }: VerifyPasswordResult = await verifyPassword(password, stored);
 * ```
 * @see https://docs.djangoproject.com/en/stable/topics/auth/passwords/#password-upgrading
 */
export interface VerifyPasswordResult {
  /** The password matches the stored hash. */
  valid: boolean;
  /** Only when `valid`: the stored hash is weaker than the options ask for; hash the password again and store it. */
  needsRehash: boolean;
}

/**
 * {@link PasswordOptions} with every default filled in: the type of {@link DEFAULT_PASSWORD_OPTIONS}.
 *
 * @example
 * ```ts
 * const { iterations }: ResolvedPasswordOptions = DEFAULT_PASSWORD_OPTIONS;
 * ```
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
 */
export interface ResolvedPasswordOptions {
  /** The algorithm for new hashes. */
  readonly algorithm: PasswordAlgorithm;
  /** PBKDF2-HMAC-SHA256 iterations. */
  readonly iterations: number;
  /** Argon2id parameters. */
  readonly argon2: Readonly<Required<Argon2Options>>;
  /** scrypt parameters. */
  readonly scrypt: Readonly<Required<ScryptOptions>>;
  /** The ceilings on a stored hash's parameters. */
  readonly limits: ResolvedPasswordLimits;
}

/**
 * The defaults, frozen: pbkdf2_sha256 at 600,000 iterations; argon2id t=2, m=19456 KiB, p=1;
 * scrypt N=2^14, r=8, p=5; the ceilings of {@link DEFAULT_PASSWORD_LIMITS}.
 *
 * @example
 * ```ts
 * await hashPassword(pw, { ...DEFAULT_PASSWORD_OPTIONS, iterations: 1_000_000 });
 * ```
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
 */
export const DEFAULT_PASSWORD_OPTIONS: ResolvedPasswordOptions = Object.freeze({
  algorithm: "pbkdf2_sha256",
  iterations: 600_000,
  argon2: ARGON2_DEFAULTS,
  scrypt: SCRYPT_DEFAULTS,
  limits: DEFAULT_PASSWORD_LIMITS,
});

const FAIL: VerifyPasswordResult = Object.freeze({ valid: false, needsRehash: false });

/**
 * Hashes a password in Django's encoded form for the configured algorithm, with a fresh 22-character salt.
 *
 * @param password - Any string without lone surrogates; the empty string is a valid password. Not normalised.
 * @param options - Algorithm and cost; `salt` only for known-answer tests.
 * @returns `pbkdf2_sha256$600000$<salt>$<hash>`, `argon2$argon2id$v=19$…` or `scrypt$…`.
 * @throws TypeError when `password` is not a well-formed string; RangeError naming a bad option.
 * @example
 * ```ts
 * const passwordHash = await hashPassword("correct horse battery staple");
 * await users.setPasswordHash(user.id, passwordHash);
 * ```
 * @see https://docs.djangoproject.com/en/stable/topics/auth/passwords/#how-django-stores-passwords
 */
export async function hashPassword(password: string, options?: HashPasswordOptions): Promise<string> {
  if (typeof password !== "string") throw new TypeError("password must be a string.");
  if (!isWellFormed(password)) throw new TypeError("password must not contain lone surrogates.");
  const o = resolveOptions(options);
  const salt = options?.salt === undefined ? makeSalt() : checkSalt(options.salt);
  if (o.algorithm === "argon2") return encodeArgon2(password, salt, o.argon2);
  if (o.algorithm === "scrypt") {
    return encodeScrypt(password, salt, o.scrypt.workFactor, o.scrypt.blockSize, o.scrypt.parallelism);
  }
  return encodePbkdf2(password, salt, o.iterations);
}

/**
 * Checks a password against a stored Django-format hash, in constant time, and says whether to upgrade it.
 *
 * Never throws for bad input: a null, unusable (`"!…"`), malformed, out-of-bounds or unknown-algorithm
 * hash (bcrypt, md5, sha1, unsalted) answers `{ valid: false, needsRehash: false }` after one dummy hash,
 * so the time taken does not tell a missing hash from a wrong password. A hash whose parameters exceed
 * `options.limits` is never run: it answers the same, after the same dummy hash, and `options.onWarning`
 * (default `console.warn`) receives a {@link PasswordWarning}.
 *
 * @param password - What the user typed; a non-string or lone-surrogate value never verifies.
 * @param encoded - The stored hash (`UserRecord.passwordHash`).
 * @param options - The configured algorithm and cost, for `needsRehash` and the dummy hash.
 * @example
 * ```ts
 * const { valid, needsRehash } = await verifyPassword(password, record.passwordHash);
 * if (valid && needsRehash) await users.setPasswordHash(record.id, await hashPassword(password));
 * ```
 * @see https://github.com/django/django/blob/main/django/contrib/auth/hashers.py (verify_password)
 */
export async function verifyPassword(
  password: string,
  encoded: string | null | undefined,
  options?: PasswordOptions,
): Promise<VerifyPasswordResult> {
  const o = resolveOptions(options);
  if (typeof password !== "string" || !isWellFormed(password) || typeof encoded !== "string")
    return fakeRuntime(o);
  const stored = parse(encoded);
  if (!stored) return fakeRuntime(o);
  const warning = overLimit(stored, o.limits);
  if (warning) {
    warn(options, warning);
    return fakeRuntime(o);
  }
  if (stored.algorithm === "scrypt" && !scryptFits(stored)) return fakeRuntime(o);
  let valid: boolean;
  let weaker: boolean;
  if (stored.algorithm === "argon2") {
    valid = await verifyArgon2(password, stored);
    weaker = argon2IsWeaker(stored, o.argon2);
  } else if (stored.algorithm === "scrypt") {
    valid = await verifyScrypt(password, encoded, stored);
    weaker = scryptNeedsUpdate(stored, o.scrypt);
  } else {
    valid = await verifyPbkdf2(password, encoded, stored);
    weaker = pbkdf2IsWeaker(stored, o.iterations);
    // Django's harden_runtime: a wrong password costs what the configured count would.
    if (!valid && o.algorithm === stored.algorithm) await hardenPbkdf2(password, stored, o.iterations);
  }
  // Only a successful verify can ask for a rehash.
  return valid ? { valid, needsRehash: o.algorithm !== stored.algorithm || weaker } : FAIL;
}

/**
 * Whether a stored value is a real hash rather than the unusable-password marker.
 * Unlike Django's `is_password_usable(None)` (true), null and undefined answer false here.
 *
 * @param encoded - The stored hash.
 * @example
 * ```ts
 * isPasswordUsable(makeUnusablePassword()); // false
 * ```
 * @see https://docs.djangoproject.com/en/stable/topics/auth/passwords/#django.contrib.auth.hashers.is_password_usable
 */
export function isPasswordUsable(encoded: string | null | undefined): boolean {
  return typeof encoded === "string" && !encoded.startsWith("!");
}

/**
 * A marker that no password ever verifies against: `"!"` and 40 random [a-zA-Z0-9] (Django's `make_password(None)`).
 * Store it for accounts that sign in some other way; each call is unique.
 *
 * @example
 * ```ts
 * await users.create({ username: "sso-user", passwordHash: makeUnusablePassword() });
 * ```
 * @see https://docs.djangoproject.com/en/stable/ref/contrib/auth/#django.contrib.auth.models.User.set_unusable_password
 */
export function makeUnusablePassword(): string {
  return `!${randomString(40)}`;
}

/**
 * Hashes a random 40-character password once with the configured algorithm and cost, discarding the result,
 * so an unknown username takes as long as a wrong password (Django ticket #20760). @internal
 */
export async function runDummyHash(options?: PasswordOptions): Promise<void> {
  await hashPassword(randomString(40), resolveOptions(options));
}

function resolveOptions(options: PasswordOptions | undefined): ResolvedPasswordOptions {
  const algorithm = options?.algorithm ?? DEFAULT_PASSWORD_OPTIONS.algorithm;
  if (algorithm !== "pbkdf2_sha256" && algorithm !== "argon2" && algorithm !== "scrypt") {
    throw new RangeError('algorithm must be "pbkdf2_sha256", "argon2" or "scrypt".');
  }
  const iterations = costOption(
    "iterations",
    options?.iterations ?? DEFAULT_PASSWORD_OPTIONS.iterations,
    MAX_ITERATIONS,
  );
  const argon2 = resolveArgon2(options?.argon2);
  const scrypt = resolveScrypt(options?.scrypt);
  const limits = resolveLimits(options?.limits);
  checkCostsWithinLimits(iterations, argon2, scrypt, limits);
  return { algorithm, iterations, argon2, scrypt, limits };
}

function warn(options: PasswordOptions | undefined, warning: PasswordWarning): void {
  const onWarning = options?.onWarning ?? ((w: PasswordWarning) => console.warn(w.message));
  try {
    onWarning(warning);
  } catch (error) {
    // Like an event listener's failure: reported, and the login still fails the usual way.
    console.error("portcullis: passwords.onWarning failed", error);
  }
}

/** Django's fake_runtime: one hash at the configured cost, so a bad stored value answers in the usual time. */
async function fakeRuntime(options: ResolvedPasswordOptions): Promise<VerifyPasswordResult> {
  await runDummyHash(options);
  return FAIL;
}

function parse(encoded: string): Pbkdf2Hash | ScryptHash | Argon2Hash | null {
  const algorithm = encoded.slice(0, encoded.indexOf("$"));
  return algorithm === "argon2"
    ? parseArgon2(encoded)
    : algorithm === "scrypt"
      ? parseScrypt(encoded)
      : parsePbkdf2(encoded);
}
