/**
 * The records that stores keep and events carry: a user and an opaque token. They sit in core/ so that
 * the event hub can name them without importing the store interfaces above it.
 */

/**
 * A user as the schemes see it: identity, password hash and status, with the application's own user
 * object riding along as `user` (what `result.user` becomes: the hash never travels on the request).
 *
 * @example
 * ```ts
 * const record: UserRecord<{ id: string; email: string }> = {
 *   id: "1",
 *   username: "ada",
 *   passwordHash: await hashPassword("correct horse"),
 *   isActive: true,
 *   user: { id: "1", email: "ada@example.com" },
 * };
 * ```
 */
export interface UserRecord<User = unknown> {
  /** The primary key, always a string (simplejwt writes `user_id` as a string too). */
  id: string;
  /** The unique login name (Django's `USERNAME_FIELD`), compared exactly. */
  username: string;
  /** A Django-encoded password hash; `null` or `"!…"` for an unusable password. */
  passwordHash: string | null;
  /** Inactive users cannot authenticate (Django's `is_active`). */
  isActive: boolean;
  /** Staff users pass `IsAdminUser` (Django's `is_staff`); absent means false. */
  isStaff?: boolean;
  /** Django's `is_superuser`, kept for the application's own permissions; absent means false. */
  isSuperuser?: boolean;
  /** The application's own user object. */
  user: User;
  /** The last successful login, where the store keeps one (Django's `last_login`). */
  lastLogin?: Date | null;
}

/**
 * An opaque token as stored: only its digest, never the token itself (knox's design, and DRF's #1998).
 *
 * @example
 * ```ts
 * const record: TokenRecord = {
 *   digest: tokenDigest(token),
 *   userId: "1",
 *   name: "laptop",
 *   createdAt: new Date(),
 *   expiresAt: null,
 *   lastUsedAt: null,
 * };
 * ```
 */
export interface TokenRecord {
  /** Lowercase hex SHA-256 of the token's UTF-8 bytes (see `tokenDigest`). */
  digest: string;
  /** The owner's `UserRecord.id`. */
  userId: string;
  /** A label such as the device ("laptop", "CI"), or `null`. */
  name: string | null;
  /** When the token was issued. */
  createdAt: Date;
  /** When it stops working, or `null` for never. */
  expiresAt: Date | null;
  /** When it last authenticated a request (updated at most once a minute), or `null`. */
  lastUsedAt: Date | null;
}
