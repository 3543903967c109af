/**
 * Session authentication: DRF's `SessionAuthentication`, over portcullis's own sessions and CSRF check.
 */
import { PermissionDenied } from "../core/errors.js";
import {
  type Authenticated,
  type AuthRequest,
  type BaseAuthentication,
  recordIdentity,
} from "../core/scheme.js";
import { type CsrfOptions, CsrfPolicy } from "../sessions/csrf.js";
import type { SessionManager } from "../sessions/manager.js";
import type { SessionRecord } from "../stores/types.js";

/** Options for {@link SessionAuthentication}. */
export interface SessionAuthenticationOptions<User> {
  /** The session manager that logged the user in. */
  sessions: SessionManager<User>;
  /** CSRF settings for this scheme; default: the manager's. */
  csrf?: CsrfOptions;
  /** The scheme's name in results; default `"session"`. */
  name?: string;
}

/**
 * The session cookie, with DRF's behaviour:
 *
 * - no session cookie, or an unknown, expired or superseded session: `null` (anonymous);
 * - a session whose user is inactive or gone: `null`, and no CSRF check, as in DRF;
 * - a live session on an unsafe method (anything but `GET`, `HEAD`, `OPTIONS`, `TRACE`) must pass
 *   Django's CSRF check, else `PermissionDenied("CSRF Failed: <Django's reason>")`, a 403;
 * - a session cookie sent twice or malformed: `AuthenticationFailed("Invalid session cookie.")`.
 *
 * It has no `authenticateHeader`, so when it is the first scheme an unauthenticated request gets 403,
 * as in DRF. Success: `{ user: record.user, auth: SessionRecord }`.
 *
 * @example
 * ```ts
 * const sessions = new SessionManager({ store: new MemorySessionStore(), users });
 * const schemes = [new SessionAuthentication({ sessions }), new BasicAuthentication({ users })];
 * const result = await authenticate(request, schemes);
 * ```
 * @see https://www.django-rest-framework.org/api-guide/authentication/#sessionauthentication
 */
export class SessionAuthentication<User = unknown> implements BaseAuthentication<User, SessionRecord> {
  readonly name: string;
  readonly #sessions: SessionManager<User>;
  readonly #csrf: CsrfPolicy;

  /**
   * @param options - the session manager, CSRF settings, name
   * @throws TypeError without a session manager
   */
  constructor(options: SessionAuthenticationOptions<User>) {
    if (!options.sessions) throw new TypeError("SessionAuthentication needs `sessions`.");
    this.name = options.name ?? "session";
    this.#sessions = options.sessions;
    this.#csrf =
      options.csrf === undefined
        ? options.sessions.csrf
        : new CsrfPolicy(options.csrf, { secure: options.sessions.secure });
  }

  /**
   * Authenticates the session cookie; see the class description for every answer.
   *
   * @param request - the request
   * @returns `{ user, auth: SessionRecord }`, or `null` without a live session
   * @throws PermissionDenied when an unsafe request fails the CSRF check
   */
  async authenticate(request: AuthRequest): Promise<Authenticated<User, SessionRecord> | null> {
    // The idle expiry moves only for a request that passes CSRF: a refused one does not keep it alive.
    const active = await this.#sessions.read(request, { touch: false });
    if (active === null) return null;
    const reason = this.#csrf.check(request, { sessionSecret: active.csrfSecret });
    if (reason !== null) throw new PermissionDenied(`CSRF Failed: ${reason}`);
    await this.#sessions.touch(active);
    return { user: active.owner.user, auth: active.record, ...recordIdentity(active.owner) };
  }
}
