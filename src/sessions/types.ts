/**
 * The options and results of {@link SessionManager}: what it is built from and what its login, logout,
 * CSRF-token and read calls return.
 */

import type { Duration } from "../core/duration.js";
import type { SessionRecord, SessionStore, UserRecord, UserStore } from "../stores/types.js";
import type { CsrfOptions } from "./csrf.js";

/**
 * Options for {@link SessionManager}.
 *
 * @example
 * ```ts
 * const options: SessionManagerOptions<DefaultUser> = {
 *   store: new MemorySessionStore(),
 *   users,
 *   idleTimeout: "2h",
 *   absoluteTimeout: "14d",
 * };
 * const sessions = new SessionManager(options);
 * ```
 */
export interface SessionManagerOptions<User> {
  /** Where sessions live. */
  store: SessionStore;
  /** Where the session's user is found by id. */
  users: UserStore<User>;
  /**
   * The session cookie's name. Default `"__Host-sessionid"` when `secure`, else `"sessionid"` (Django's).
   */
  cookie?: string;
  /** Idle (sliding) timeout: a session unused this long ends. Default two weeks (Django's `SESSION_COOKIE_AGE`). */
  idleTimeout?: Duration;
  /**
   * Absolute timeout from login, never extended; also the cookie's `Max-Age`. Default two weeks, so by
   * default a session ends two weeks after login, as Django's does.
   */
  absoluteTimeout?: Duration;
  /** Write a new idle expiry at most this often per session (no store write per request). Default 60 s. */
  touchInterval?: Duration;
  /**
   * `Secure` cookies and the `__Host-` prefix. Default true; set false only for http://localhost
   * development.
   */
  secure?: boolean;
  /** CSRF settings shared by {@link SessionAuthentication} and the session endpoints. */
  csrf?: CsrfOptions;
}

/**
 * What {@link SessionManager.login} returns.
 *
 * @example
 * ```ts
 * const { headers, csrfToken }: SessionLogin = await sessions.login(request, record);
 * return new Response(JSON.stringify({ csrfToken }), { headers });
 * ```
 */
export interface SessionLogin {
  /** The new session, as stored. */
  session: SessionRecord;
  /** The `Set-Cookie` lines: the session cookie and the rotated CSRF cookie. Copy them onto the response. */
  headers: Headers;
  /** A masked CSRF token for the new session, for a page that cannot read the cookie. */
  csrfToken: string;
}

/**
 * What {@link SessionManager.logout} returns.
 *
 * @example
 * ```ts
 * const { headers, ended }: SessionLogout = await sessions.logout(request);
 * return new Response(null, { status: ended ? 204 : 200, headers });
 * ```
 */
export interface SessionLogout {
  /** The `Set-Cookie` line that clears the session cookie. */
  headers: Headers;
  /** Whether a stored session was deleted. */
  ended: boolean;
}

/**
 * What {@link SessionManager.csrfToken} returns.
 *
 * @example
 * ```ts
 * const { token, headers }: CsrfTokenGrant = await sessions.csrfToken(request);
 * return new Response(JSON.stringify({ csrfToken: token }), { headers });
 * ```
 */
export interface CsrfTokenGrant {
  /** A masked, 64-character token for the page. */
  token: string;
  /** The `Set-Cookie` line that stores the secret. */
  headers: Headers;
}

/**
 * A request's live session: the record, its user and the CSRF secret it is bound to.
 *
 * @example
 * ```ts
 * const active: ActiveSession<DefaultUser> | null = await sessions.read(request);
 * if (active) console.log(active.owner.username, active.record.expiresAt);
 * ```
 */
export interface ActiveSession<User> {
  /** The stored session. */
  record: SessionRecord;
  /** The session's user, active. */
  owner: UserRecord<User>;
  /** The CSRF secret bound to this session. */
  readonly csrfSecret: string;
}
