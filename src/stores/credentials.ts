/**
 * Django's ModelBackend.authenticate over a UserStore: find, verify, upgrade; one hash whatever happens.
 * @internal
 */
import { hashPassword, type PasswordOptions, runDummyHash, verifyPassword } from "../passwords/hash.js";
import type { UserRecord, UserStore } from "./types.js";

/** What {@link checkCredentials} found. */
export type CredentialsCheck<User> =
  | { outcome: "valid"; record: UserRecord<User> }
  | { outcome: "inactive"; record: UserRecord<User> }
  | { outcome: "invalid" };

/**
 * Checks a username and password against `users`. An unknown username still costs one hash (Django
 * #20760); a right password whose hash is weaker than configured is re-hashed and saved before returning
 * (Django's `check_password` setter), for inactive users too, as Django does.
 *
 * @internal
 */
export async function checkCredentials<User>(
  users: UserStore<User>,
  username: string,
  password: string,
  passwords?: PasswordOptions,
): Promise<CredentialsCheck<User>> {
  const record = await users.findByUsername(username);
  if (record === null) {
    await runDummyHash(passwords);
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
  return { outcome: record.isActive ? "valid" : "inactive", record };
}
