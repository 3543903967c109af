/**
 * Store interfaces: what the application implements (or takes ready-made) so the schemes can find users.
 * A store method that cannot answer throws; it never answers "not found" for "could not ask".
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
  /** The application's own user object. */
  user: User;
}

/**
 * What {@link UserStore.create} takes.
 */
export interface CreateUserInput<User = unknown> {
  /** The unique login name. */
  username: string;
  /** A hash from `hashPassword`, or `null` / `makeUnusablePassword()` for no usable password. */
  passwordHash: string | null;
  /** Defaults to true. */
  isActive?: boolean;
  /** The application's user object; a store may build one when it is missing. */
  user?: User;
}

/**
 * Where users live. Implement it over your own table, or use {@link MemoryUserStore}.
 *
 * @example
 * ```ts
 * const users: UserStore<AppUser> = {
 *   async findByUsername(username) {
 *     const row = await db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();
 *     return row ? toRecord(row) : null;
 *   },
 *   async findById(id) { ... },
 *   async setPasswordHash(id, passwordHash) {
 *     await db.updateTable("users").set({ password: passwordHash }).where("id", "=", id).execute();
 *   },
 * };
 * ```
 */
export interface UserStore<User = unknown> {
  /** The user with exactly this username, or `null`. */
  findByUsername(username: string): Promise<UserRecord<User> | null>;
  /** The user with this id, or `null`. */
  findById(id: string): Promise<UserRecord<User> | null>;
  /** Stores a new password hash (an upgrade at login, or a password change). */
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Creates a user; optional, used by `createUser` and sign-up endpoints. */
  create?(input: CreateUserInput<User>): Promise<UserRecord<User>>;
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

/**
 * The fields {@link TokenStore.touch} may change.
 */
export interface TokenTouch {
  /** A new last-use time. */
  lastUsedAt?: Date;
  /** A new expiry (auto-refresh). */
  expiresAt?: Date | null;
}

/**
 * Where opaque tokens live, by digest. Implement it over your own table, or use `MemoryTokenStore`.
 *
 * @example
 * ```ts
 * const tokens = new MemoryTokenStore();
 * const { token } = await issueToken(tokens, user.id, { name: "laptop", ttl: "30d" });
 * ```
 */
export interface TokenStore {
  /** Stores a new record. Throws if a record with the same digest exists. */
  save(record: TokenRecord): Promise<void>;
  /** The record with this digest, or `null`. Expired records may be returned: the scheme checks expiry. */
  findByDigest(digest: string): Promise<TokenRecord | null>;
  /** Deletes a record; true when it existed. */
  delete(digest: string): Promise<boolean>;
  /** Deletes every token of a user; returns how many. */
  deleteForUser(userId: string): Promise<number>;
  /** Every token of a user, oldest first. */
  listForUser(userId: string): Promise<TokenRecord[]>;
  /** Updates `lastUsedAt` and/or `expiresAt` of an existing record; nothing when it is gone. */
  touch(digest: string, changes: TokenTouch): Promise<void>;
}
