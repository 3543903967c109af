/**
 * What makes a stored session live: Django's session auth hash, which ties it to its owner's password,
 * and the live-session object {@link SessionManager.read} returns, with its lazily derived CSRF secret.
 */

import { tokenDigest } from "../core/digest.js";
import type { SessionRecord, UserRecord } from "../stores/types.js";
import { sessionCsrfSecret } from "./csrf-tokens.js";
import type { ActiveSession } from "./types.js";

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

const authHashes = new Map<string, string>();
const AUTH_HASH_CACHE_SIZE = 1024;

/**
 * Django's session auth hash: a digest of the password hash, so a new password ends old sessions.
 *
 * @param passwordHash - the user's stored password hash (`null` for a user without a password)
 * @returns a 64-character hex digest
 * @example
 * ```ts
 * const data = { [SESSION_AUTH_HASH_KEY]: sessionAuthHash(user.passwordHash) };
 * ```
 * @internal
 */
export function sessionAuthHash(passwordHash: string | null): string {
  const key = passwordHash ?? "";
  let hash = authHashes.get(key);
  if (hash === undefined) {
    hash = tokenDigest(`portcullis.session-auth:${key}`);
    // A small memo of recent users' hashes: cleared whole when full, so it never grows.
    if (authHashes.size >= AUTH_HASH_CACHE_SIZE) authHashes.clear();
    authHashes.set(key, hash);
  }
  return hash;
}

/**
 * A live session; the CSRF secret is derived only when a check asks for it (never on GET).
 *
 * @example
 * ```ts
 * const active = new LiveSession(record, owner, id);
 * active.csrfSecret; // derived from the id on first read, then kept
 * ```
 * @internal
 */
export class LiveSession<User> implements ActiveSession<User> {
  readonly record: SessionRecord;
  readonly owner: UserRecord<User>;
  readonly #id: string;
  #csrfSecret: string | undefined;

  /**
   * @param record - the stored session, already verified
   * @param owner - its active user
   * @param id - the session id from the cookie (kept only to derive the CSRF secret)
   */
  constructor(record: SessionRecord, owner: UserRecord<User>, id: string) {
    this.record = record;
    this.owner = owner;
    this.#id = id;
  }

  get csrfSecret(): string {
    this.#csrfSecret ??= sessionCsrfSecret(this.#id);
    return this.#csrfSecret;
  }
}
