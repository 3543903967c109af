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
