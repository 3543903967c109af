/**
 * What makes a stored session live: Django's session auth hash, which ties it to its owner's password.
 */

import { tokenDigest } from "../core/digest.js";

/**
 * The key of the password-hash digest in `SessionRecord.data` (Django's `HASH_SESSION_KEY`).
 *
 * @example
 * ```ts
 * const record = await store.get(idDigest);
 * const bound = typeof record?.data[SESSION_AUTH_HASH_KEY] === "string";
 * ```
 */
export const SESSION_AUTH_HASH_KEY = "_auth_user_hash";

/** Django's session auth hash: a digest of the password hash, so a new password ends old sessions. @internal */
export function sessionAuthHash(passwordHash: string | null): Promise<string> {
  return tokenDigest(`portcullis.session-auth:${passwordHash ?? ""}`);
}
