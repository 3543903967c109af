/**
 * Django's ModelBackend.authenticate over a UserStore: find, verify, upgrade; one hash whatever happens.
 * @internal
 */
import { randomString } from "../core/crypto.js";
import { hashPassword, type PasswordOptions, runDummyHash, verifyPassword } from "../passwords/hash.js";
import type { UserRecord, UserStore } from "./types.js";

/**
 * What {@link checkCredentials} found: an active user with the right password, or nothing to tell apart
 * (unknown user, wrong password, inactive user: Django's ModelBackend answers `None` for each).
 */
export type CredentialsCheck<User> = { outcome: "valid"; record: UserRecord<User> } | { outcome: "invalid" };

/**
 * Checks a username and password against `users`. An unknown username, a wrong password and an inactive
 * user cost the same work, that of a wrong password (Django #20760), and answer the same; a right password
 * of an active user whose hash is weaker than configured is re-hashed and saved before returning (Django's
 * `check_password` setter). Unlike Django, an inactive user's password is never checked nor its hash
 * upgraded: a right password would cost less (no `harden_runtime`) or more (the upgrade) than a wrong one.
 * A username or password holding NUL is refused before the store is asked.
 *
 * @internal
 */
export async function checkCredentials<User>(
  users: UserStore<User>,
  username: string,
  password: string,
  passwords?: PasswordOptions,
): Promise<CredentialsCheck<User>> {
  // Every caller refuses NUL first (field validation, the Basic scheme); this keeps it from a store.
  if (username.includes("\0") || password.includes("\0")) return { outcome: "invalid" };
  const record = await users.findByUsername(username);
  if (record === null) {
    await runDummyHash(passwords);
    return { outcome: "invalid" };
  }
  if (!record.isActive) {
    // ModelBackend.user_can_authenticate: refused whatever the password, at a wrong password's cost
    // (a random 40-character password never matches).
    await verifyPassword(randomString(40), record.passwordHash, passwords);
    return { outcome: "invalid" };
  }
  const { valid, needsRehash } = await verifyPassword(password, record.passwordHash, passwords);
  if (!valid) return { outcome: "invalid" };
  if (needsRehash) {
    const upgraded = await hashPassword(password, passwords);
    await users.setPasswordHash(record.id, upgraded);
    // The caller sees the hash now stored (a session's auth hash is taken from it).
    record.passwordHash = upgraded;
  }
  return { outcome: "valid", record };
}
