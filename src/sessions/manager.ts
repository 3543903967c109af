/**
 * The session manager: login (always a new session), logout, ending a user's sessions, and reading the
 * session a request carries.
 */

import { randomBytes, timingSafeEqual } from "../core/crypto.js";
import { tokenDigest } from "../core/digest.js";
import { parseDuration } from "../core/duration.js";
import { encodeBase64Url } from "../core/encoding.js";
import { AuthenticationFailed } from "../core/errors.js";
import type { AuthRequest } from "../core/scheme.js";
import type { SessionRecord, SessionStore, UserRecord, UserStore } from "../stores/types.js";
import { readCookie, readCookieValues, serializeCookie } from "./cookies.js";
import { CsrfPolicy } from "./csrf.js";
import { maskCsrfSecret, newCsrfSecret, sessionCsrfSecret } from "./csrf-tokens.js";
import { SESSION_AUTH_HASH_KEY, sessionAuthHash } from "./live-session.js";
import type {
  ActiveSession,
  CsrfTokenGrant,
  SessionLogin,
  SessionLogout,
  SessionManagerOptions,
} from "./types.js";

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Server-side sessions, as Django's session framework and `django.contrib.auth.login` / `logout` run
 * them, for {@link SessionAuthentication}:
 *
 * - the id is 32 random bytes (base64url) in an `HttpOnly`, `SameSite=Lax`, `Path=/` cookie, `Secure`
 *   with the `__Host-` prefix by default; the store keeps only its SHA-256 (`idDigest`);
 * - `login` always starts a new session (the one the request carried is destroyed: no fixation) and
 *   rotates the CSRF secret;
 * - idle and absolute timeouts are enforced server-side; the idle expiry is written at most once per
 *   `touchInterval`;
 * - a session remembers a digest of the password hash, so a password change ends it (Django's
 *   session auth hash); `invalidateUser` ends them all at once.
 *
 * @example
 * ```ts
 * const sessions = new SessionManager({ store: new MemorySessionStore(), users });
 * const { headers } = await sessions.login(request, record);
 * return new Response(JSON.stringify({ id: record.id }), { headers });
 * ```
 * @see https://docs.djangoproject.com/en/stable/topics/http/sessions/
 */
export class SessionManager<User = unknown> {
  /** The session store. */
  readonly store: SessionStore;
  /** The user store. */
  readonly users: UserStore<User>;
  /** The session cookie's name. */
  readonly cookieName: string;
  /** Whether cookies are `Secure`. */
  readonly secure: boolean;
  /** The CSRF policy that sessions are checked with. */
  readonly csrf: CsrfPolicy;
  readonly #idleMs: number;
  readonly #absoluteMs: number;
  readonly #touchMs: number;

  /**
   * @param options - stores, cookie, timeouts, CSRF settings
   * @throws TypeError for a missing store or a bad cookie name; RangeError for a bad duration
   */
  constructor(options: SessionManagerOptions<User>) {
    if (!options.store || !options.users) throw new TypeError("SessionManager needs `store` and `users`.");
    this.store = options.store;
    this.users = options.users;
    this.secure = options.secure ?? true;
    this.cookieName = options.cookie ?? (this.secure ? "__Host-sessionid" : "sessionid");
    this.#idleMs = parseDuration(options.idleTimeout ?? "14d", "idleTimeout") * 1000;
    this.#absoluteMs = parseDuration(options.absoluteTimeout ?? "14d", "absoluteTimeout") * 1000;
    this.#touchMs = parseDuration(options.touchInterval ?? 60, "touchInterval") * 1000;
    if (this.#idleMs <= 0 || this.#absoluteMs <= 0) {
      throw new RangeError("idleTimeout and absoluteTimeout must be positive.");
    }
    // Fails now, not at the first login, for a name a browser would refuse (e.g. __Host- without Secure).
    this.#cookie("", 0);
    this.csrf = new CsrfPolicy(options.csrf, { secure: this.secure });
  }

  /**
   * Logs a user in: destroys the session the request carried (if any), creates a new one, and rotates
   * the CSRF secret. Check the credentials first (`checkCredentials`, or the `sessionHandlers` login).
   *
   * @param request - the login request (its old session, if any, is ended)
   * @param user - the authenticated user's record
   * @returns the session, the `Set-Cookie` headers and a masked CSRF token
   * @example
   * ```ts
   * const check = await checkCredentials(users, username, password);
   * if (check.outcome === "valid") {
   *   const { headers } = await sessions.login(request, check.record);
   * }
   * ```
   */
  async login(request: AuthRequest, user: UserRecord<User>): Promise<SessionLogin> {
    // Every session the request names ends, a cookie sent twice included: no fixation.
    await this.#endAll(request);

    const id = encodeBase64Url(randomBytes(32));
    const now = Date.now();
    const absoluteExpiresAt = now + this.#absoluteMs;
    const session: SessionRecord = {
      idDigest: await tokenDigest(id),
      userId: user.id,
      createdAt: new Date(now),
      expiresAt: new Date(Math.min(now + this.#idleMs, absoluteExpiresAt)),
      absoluteExpiresAt: new Date(absoluteExpiresAt),
      data: { [SESSION_AUTH_HASH_KEY]: await sessionAuthHash(user.passwordHash) },
    };
    await this.store.create(session);
    // Django's login() records the login (update_last_login), where the store keeps one.
    await this.users.updateLastLogin?.(user.id, new Date(now));

    const csrfSecret = await sessionCsrfSecret(id);
    const headers = new Headers();
    headers.append("Set-Cookie", this.#cookie(id, this.#absoluteMs / 1000, now));
    headers.append("Set-Cookie", this.csrf.cookie(csrfSecret));
    return { session, headers, csrfToken: maskCsrfSecret(csrfSecret) };
  }

  /**
   * Logs out: deletes the request's session server-side and clears the session cookie (`Max-Age=0`).
   * A request without a session gets the clearing cookie too.
   *
   * @param request - the request
   * @returns the `Set-Cookie` header, and whether a stored session was ended
   * @example
   * ```ts
   * const { headers } = await sessions.logout(request);
   * return new Response(null, { status: 204, headers });
   * ```
   */
  async logout(request: AuthRequest): Promise<SessionLogout> {
    const ended = await this.#endAll(request);
    const headers = new Headers();
    headers.append("Set-Cookie", this.#cookie("", 0)); // cleared
    return { headers, ended };
  }

  /**
   * Ends every session of a user, on every device (call it after a password change or on a ban).
   *
   * @param userId - the user's id
   * @returns how many sessions were ended
   * @example
   * ```ts
   * await users.setPasswordHash(user.id, await hashPassword(newPassword));
   * await sessions.invalidateUser(user.id);
   * ```
   */
  async invalidateUser(userId: string): Promise<number> {
    return this.store.deleteForUser(userId);
  }

  /**
   * The live session a request carries, with its active user, or `null`: no cookie, a malformed id,
   * an unknown, expired or superseded session (deleted on sight), a missing or inactive user, or a
   * password changed since login. Moves the idle expiry when `touchInterval` has passed, unless
   * `options.touch` is false (then call {@link SessionManager.touch} once the request is accepted).
   *
   * @param request - the request
   * @param options - `touch`: move the idle expiry now (default true)
   * @returns the session, its user and its CSRF secret, or `null`
   * @throws AuthenticationFailed when the session cookie is sent twice or is malformed
   * @example
   * ```ts
   * const active = await sessions.read(request);
   * if (active) console.log(active.owner.username);
   * ```
   */
  async read(request: AuthRequest, options: { touch?: boolean } = {}): Promise<ActiveSession<User> | null> {
    const read = readCookie(request, this.cookieName);
    if (read === null) return null;
    // A cookie sent twice, malformed or in an oversized header fails authentication.
    if (!("value" in read)) {
      throw new AuthenticationFailed("Invalid session cookie.", "authentication_failed");
    }
    const id = read.value;
    // An id this server could not have issued is never looked up, let alone adopted.
    if (!SESSION_ID.test(id)) return null;
    const idDigest = await tokenDigest(id);
    const record = await this.store.get(idDigest);
    // The store found the row by digest; the check only guards against a store that answers another row.
    if (record === null || record.idDigest !== idDigest) return null;

    const now = Date.now();
    const expired = record.expiresAt.getTime() <= now || record.absoluteExpiresAt.getTime() <= now;
    const owner = expired ? null : await this.users.findById(record.userId);
    // Django's verify_session: a session whose password-hash digest differs belonged to an old password.
    const stored = record.data[SESSION_AUTH_HASH_KEY];
    if (
      owner === null ||
      typeof stored !== "string" ||
      !timingSafeEqual(stored, await sessionAuthHash(owner.passwordHash))
    ) {
      await this.store.delete(idDigest); // expired, its user gone, or superseded
      return null;
    }
    if (!owner.isActive) return null;

    const active: ActiveSession<User> = { record, owner, csrfSecret: await sessionCsrfSecret(id) };
    if (options.touch ?? true) await this.touch(active, now);
    return active;
  }

  /**
   * Moves a live session's idle expiry to now + `idleTimeout` (never past the absolute expiry), with a
   * store write only when it moves by `touchInterval` or more.
   *
   * @param active - a session from {@link SessionManager.read}
   * @param now - the current time in milliseconds (default `Date.now()`)
   * @example
   * ```ts
   * const active = await sessions.read(request, { touch: false });
   * if (active && accepted(request)) await sessions.touch(active);
   * ```
   */
  async touch(active: ActiveSession<User>, now: number = Date.now()): Promise<void> {
    const { record } = active;
    const touched = Math.min(now + this.#idleMs, record.absoluteExpiresAt.getTime());
    if (touched - record.expiresAt.getTime() < this.#touchMs) return;
    const expiresAt = new Date(touched);
    await this.store.touch(record.idDigest, expiresAt);
    record.expiresAt = expiresAt;
  }

  /**
   * A masked CSRF token for the request, with the `Set-Cookie` line that stores its secret: the
   * session's own secret when the request has a live session, else the secret already in the cookie,
   * else a new one (Django's `get_token`).
   *
   * @param request - the request
   * @param policy - the CSRF policy whose cookie to use (default: the manager's)
   * @returns the token for the page and the cookie header
   * @example
   * ```ts
   * const { token, headers } = await sessions.csrfToken(request);
   * ```
   */
  async csrfToken(request: AuthRequest, policy: CsrfPolicy = this.csrf): Promise<CsrfTokenGrant> {
    const active = await this.read(request).catch((error: unknown) => {
      if (error instanceof AuthenticationFailed) return null;
      throw error;
    });
    const secret = active?.csrfSecret ?? policy.readSecret(request) ?? newCsrfSecret();
    const headers = new Headers();
    headers.append("Set-Cookie", policy.cookie(secret));
    return { token: maskCsrfSecret(secret), headers };
  }

  /** Deletes every session the request's cookie names; true when one existed. */
  async #endAll(request: AuthRequest): Promise<boolean> {
    let ended = false;
    for (const id of readCookieValues(request, this.cookieName)) {
      if (SESSION_ID.test(id) && (await this.store.delete(await tokenDigest(id)))) ended = true;
    }
    return ended;
  }

  // The session cookie's Set-Cookie line; an empty value with maxAge 0 clears it.
  #cookie(id: string, maxAge: number, now?: number): string {
    return serializeCookie(this.cookieName, id, { maxAge, httpOnly: true, secure: this.secure, now });
  }
}
