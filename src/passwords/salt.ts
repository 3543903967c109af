/**
 * What the three hashers share: Django's salts and the decimal fields of an encoded hash.
 * @internal
 */
import { randomString } from "../core/crypto.js";
import { isWellFormed } from "../core/encoding.js";

/** Django's salt length: ceil(128 / log2(62)) characters of [a-zA-Z0-9]. */
export const SALT_LENGTH = 22;

/** A fresh salt, as Django's `BasePasswordHasher.salt()`. */
export function makeSalt(): string {
  return randomString(SALT_LENGTH);
}

/** Django's `must_update_salt(salt, 128)`: `len(salt) * log2(62) < 128`. */
export function isWeakSalt(length: number): boolean {
  return length * Math.log2(62) < 128;
}

/** Length in code points, as Python's `len()` counts a `str`. */
export function codePoints(text: string): number {
  return [...text].length;
}

/** Django's `_check_encode_args` for a caller-chosen salt; returns it or throws. */
export function checkSalt(salt: unknown): string {
  if (typeof salt !== "string" || !isWellFormed(salt)) {
    throw new TypeError("salt must be a string without lone surrogates.");
  }
  if (salt === "" || salt.includes("$")) throw new RangeError("salt must be provided and cannot contain $.");
  return salt;
}

/**
 * The bound for a stored cost field at parse time: any size is read, so that a hash over the configured
 * ceilings (limits.ts) is recognised and reported rather than dismissed as malformed.
 */
export const ANY_COST: number = Number.MAX_SAFE_INTEGER;

/** A stored decimal field: digits only, no sign, space or leading zero, within 1..max; else null. */
export function parseDecimal(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^[1-9][0-9]{0,15}$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/** A cost option: an integer from 1 to `max`, else a RangeError naming it. */
export function costOption(name: string, value: unknown, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}.`);
  }
  return value;
}
