/**
 * Store interfaces: what the application implements (or takes ready-made) so the schemes can find users.
 * A store method that cannot answer throws; it never answers "not found" for "could not ask".
 */
import type { TokenRecord, UserRecord } from "../core/records.js";

// The records live in core/ because events carry them; the stores that keep them re-export them here.
export type { TokenRecord, UserRecord } from "../core/records.js";

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
  /** Django's `is_staff` (passes `IsAdminUser`). Defaults to false. */
  isStaff?: boolean;
  /** Django's `is_superuser`. Defaults to false. */
  isSuperuser?: boolean;
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
  /** Records a successful login (Django's `update_last_login`); optional, used with `updateLastLogin`. */
  updateLastLogin?(id: string, at: Date): Promise<void>;
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
 * const tokenAuth = new TokenAuthentication({ tokens, users, ttl: "30d" });
 * const { token } = await tokenAuth.issue(user.id, { name: "laptop" });
 * ```
 */
export interface TokenStore {
  /** Stores a new record. Throws if a record with the same digest exists. */
  save(record: TokenRecord): Promise<void>;
  /**
   * Stores a new record unless its user already has `limit` tokens unexpired at `record.createdAt`
   * (`expiresAt` null or later), as ONE atomic step: concurrent calls never leave more than `limit`.
   * `TokenAuthentication.issue` and `tokenLogin` use it for `maxTokensPerUser`. Throws like `save` for a
   * digest that exists. Optional: without it the limit holds within one process only (see docs/stores.md
   * for how to write it).
   *
   * @param record - the new token
   * @param limit - the most unexpired tokens the user may hold, at least 1
   * @returns true when the record was stored, false when the user is at the limit
   * @example
   * ```ts
   * if (!(await tokens.saveWithinLimit(record, 5))) throw new PermissionDenied("Too many tokens.");
   * ```
   */
  saveWithinLimit?(record: TokenRecord, limit: number): Promise<boolean>;
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

/**
 * An issued refresh token as the revocation store records it (simplejwt's `OutstandingToken`).
 *
 * @example
 * ```ts
 * const token: OutstandingToken = {
 *   jti: "5f0e3c1a9b2d4e6f8a0b1c2d3e4f5a6b",
 *   userId: "1",
 *   familyId: "0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a59",
 *   expiresAt: new Date(claims.exp * 1000),
 * };
 * ```
 */
export interface OutstandingToken {
  /** The token's `jti` claim. */
  jti: string;
  /** The owner's `UserRecord.id` (the `user_id` claim), or `null` when the token names no user. */
  userId: string | null;
  /** The rotation family (the `family_id` claim), or `null` when rotation does not track families. */
  familyId: string | null;
  /** The token's `exp`: after it the token is refused anyway, so its rows may be flushed. */
  expiresAt: Date;
}

/**
 * Where revocations live: simplejwt's `OutstandingToken` and `BlacklistedToken` tables in one
 * interface, plus what simplejwt lacks: one-time use for rotation with reuse detection, family and
 * per-user revocation. Implement it over a SQL table or Redis (see docs/revocation.md for which
 * operations must be atomic), or use `MemoryRevocationStore`.
 *
 * Rows answer as recorded until {@link RevocationStore.flushExpired} removes them, even once their
 * `expiresAt` has passed: an expired revoked jti may still be reported revoked, which is harmless because
 * the token is refused by its `exp` anyway. Callers check `exp` before asking the store.
 *
 * @example
 * ```ts
 * const revocations: RevocationStore = new MemoryRevocationStore();
 * await revocations.recordOutstanding({ jti, userId: "1", familyId, expiresAt });
 *
 * // Refresh with rotation: exactly one concurrent caller wins.
 * if (!(await revocations.consume(jti, expiresAt))) {
 *   const consumedAt = await revocations.consumedAt(jti); // null: revoked, never rotated
 *   // A rotated token presented again after the grace window is reuse: RFC 9700 §4.14.2.
 *   if (consumedAt !== null && Date.now() - consumedAt.getTime() >= 5_000) await revocations.revokeFamily(familyId);
 *   throw new AuthenticationFailed("Token is blacklisted", "token_not_valid");
 * }
 *
 * await revocations.revokeForUser("1"); // logout everywhere
 * await revocations.flushExpired(); // simplejwt's `manage.py flushexpiredtokens`, from a cron job
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh token rotation and reuse detection)
 * @see https://django-rest-framework-simplejwt.readthedocs.io/en/latest/blacklist_app.html
 */
export interface RevocationStore {
  /**
   * Records an issued refresh token (simplejwt's `OutstandingToken`). Idempotent for the same jti: the
   * first record wins and a repeat is ignored. A token recorded in a family that was already revoked is
   * revoked at once.
   *
   * @param token - the token's jti, owner, family and expiry
   */
  recordOutstanding(token: OutstandingToken): Promise<void>;

  /**
   * True when the jti was revoked (blacklisted), directly or through its family or user. A jti that was
   * only consumed is not revoked.
   *
   * @param jti - the token's `jti` claim
   */
  isRevoked(jti: string): Promise<boolean>;

  /**
   * Revokes one jti until `expiresAt` (after which the row may be flushed). Works for a jti that was never
   * recorded, such as an access token checked with `checkRevokedAccess`.
   *
   * @param jti - the token's `jti` claim
   * @param expiresAt - the token's `exp`
   * @returns true when it was not revoked before
   */
  revoke(jti: string, expiresAt: Date): Promise<boolean>;

  /**
   * Atomically marks the jti as used (rotation): true for exactly one caller, false for every later or
   * concurrent caller and for a revoked jti. Consuming does not revoke: `isRevoked` stays false, so
   * rotation without blacklisting is expressible. The store records when the jti was consumed
   * ({@link RevocationStore.consumedAt}). A consumed jti presented again is the reuse signal the caller
   * acts on, by revoking the family, unless it comes within the grace window of the rotation.
   *
   * @param jti - the token's `jti` claim
   * @param expiresAt - the token's `exp`, after which the row may be flushed
   * @returns true for the one caller that may rotate the token
   */
  consume(jti: string, expiresAt: Date): Promise<boolean>;

  /**
   * When the jti was consumed: the time the one successful {@link RevocationStore.consume} took effect,
   * by the store's clock, kept until the row is flushed and never moved by later calls (a refused
   * `consume`, `revoke`, `revokeFamily`). `null` for a jti that was never consumed: unknown, only
   * recorded, or only revoked. The token service asks it after `consume` answered false, to tell a
   * duplicate that arrives just after a rotation (within `reuseGraceSeconds`: refused, nothing revoked)
   * from a replay (the family is revoked). The answer cannot change between the two calls, since a
   * consumed jti stays consumed until it is flushed. A store that kept no time for a jti consumed before
   * it learnt to (a row from an older version) answers the epoch, `new Date(0)`: long ago.
   *
   * @param jti - the token's `jti` claim
   * @returns when it was consumed, or `null`
   * @example
   * ```ts
   * if (!(await revocations.consume(jti, expiresAt))) {
   *   const at = await revocations.consumedAt(jti);
   *   const duplicate = at !== null && Date.now() - at.getTime() < 5_000;
   * }
   * ```
   */
  consumedAt(jti: string): Promise<Date | null>;

  /**
   * Revokes every outstanding token of a family (reuse detection) and any token later recorded in it,
   * until the family's latest expiry has passed and the family is flushed.
   *
   * @param familyId - the `family_id` claim
   * @returns how many tokens were newly revoked
   */
  revokeFamily(familyId: string): Promise<number>;

  /**
   * Revokes every outstanding token of a user (logout everywhere, password change): those recorded so
   * far, not those recorded later, so a new login afterwards works.
   *
   * @param userId - the user's `UserRecord.id`
   * @returns how many tokens were newly revoked
   */
  revokeForUser(userId: string): Promise<number>;

  /**
   * Deletes every row (outstanding, revoked, consumed, family) whose `expiresAt` is at or before now
   * (simplejwt's `flushexpiredtokens`). Run it from a scheduled job.
   *
   * @returns how many jti rows were removed
   */
  flushExpired(): Promise<number>;
}

/**
 * A server-side session, as {@link SessionStore} keeps it. The session id itself is never stored:
 * only `idDigest`, the lowercase hex SHA-256 of the id in the cookie.
 *
 * @example
 * ```ts
 * const record: SessionRecord = {
 *   idDigest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
 *   userId: "1",
 *   createdAt: new Date(),
 *   expiresAt: new Date(Date.now() + 14 * 86_400_000),
 *   absoluteExpiresAt: new Date(Date.now() + 14 * 86_400_000),
 *   data: {},
 * };
 * ```
 */
export interface SessionRecord {
  /** Lowercase hex SHA-256 of the session id: the key the store finds the session by. */
  idDigest: string;
  /** The logged-in user's id. */
  userId: string;
  /** When the session was created (at login). */
  createdAt: Date;
  /** The idle (sliding) expiry: moved forward by use, never past `absoluteExpiresAt`. */
  expiresAt: Date;
  /** The absolute expiry: never extended. */
  absoluteExpiresAt: Date;
  /**
   * JSON-serialisable session data. portcullis keeps `_auth_user_hash` here (Django's
   * `HASH_SESSION_KEY`): a digest of the password hash at login, so a password change ends the session.
   */
  data: Record<string, unknown>;
}

/**
 * Where sessions live. Implement it over your own table or cache, or use {@link MemorySessionStore}
 * (one process) and the Kysely or Redis stores (shared by every instance).
 *
 * @example
 * ```ts
 * const sessions = new SessionManager({ store: new MemorySessionStore(), users });
 * ```
 */
export interface SessionStore {
  /** Stores a new session. Throws if a session with the same digest exists. */
  create(record: SessionRecord): Promise<void>;
  /** The session with this digest, or `null`. Expired sessions may be returned: the manager checks. */
  get(idDigest: string): Promise<SessionRecord | null>;
  /** Moves the idle expiry of an existing session; nothing when it is gone. */
  touch(idDigest: string, expiresAt: Date): Promise<void>;
  /** Deletes a session; true when it existed. */
  delete(idDigest: string): Promise<boolean>;
  /** Deletes every session of a user; returns how many. */
  deleteForUser(userId: string): Promise<number>;
}

/**
 * What a {@link ThrottleStore} answers for one key: DRF's throttle history, read in one atomic step.
 *
 * @example
 * ```ts
 * const state: ThrottleState = { allowed: false, count: 10, oldest: Date.now() - 30_000 };
 * ```
 */
export interface ThrottleState {
  /** True when `hit` recorded this request (fewer than `limit` entries were in the window). */
  allowed: boolean;
  /** The entries within the window after the call, the new one included when it was recorded. */
  count: number;
  /** The oldest entry still within the window (ms since the epoch), or `null` when there is none. */
  oldest: number | null;
}

/**
 * Where throttles and lockout count requests: a sliding-window log per key, as DRF's
 * `SimpleRateThrottle` keeps in Django's cache, but atomic, so N parallel hits against a limit of k
 * record exactly k. Use {@link MemoryThrottleStore} (one process) or the Redis and Kysely stores
 * (shared by every instance).
 *
 * @example
 * ```ts
 * const store: ThrottleStore = new MemoryThrottleStore();
 * const { allowed } = await store.hit("throttle_anon_203.0.113.9", 100, 86_400_000, Date.now());
 * ```
 */
export interface ThrottleStore {
  /**
   * In one atomic step: forgets the key's entries at or before `now - windowMs`, then records `now`
   * when fewer than `limit` remain. A refused hit records nothing (DRF's `throttle_failure`).
   */
  hit(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState>;
  /** The same reading as {@link ThrottleStore.hit}, recording nothing (`allowed`: under the limit). */
  peek(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState>;
  /** Forgets every entry of the key. */
  reset(key: string): Promise<void>;
}
