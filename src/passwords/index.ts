/**
 * Django-compatible password hashing (pbkdf2_sha256, argon2, scrypt) on every runtime.
 * @module
 */

export type {
  Argon2Options,
  HashPasswordOptions,
  PasswordAlgorithm,
  PasswordLimits,
  PasswordOptions,
  PasswordWarning,
  ResolvedPasswordLimits,
  ResolvedPasswordOptions,
  ScryptOptions,
  VerifyPasswordResult,
} from "./hash.js";
export {
  DEFAULT_PASSWORD_LIMITS,
  DEFAULT_PASSWORD_OPTIONS,
  hashPassword,
  isPasswordUsable,
  makeUnusablePassword,
  verifyPassword,
} from "./hash.js";
