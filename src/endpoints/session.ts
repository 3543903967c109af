/**
 * The session endpoints: a CSRF cookie for the page, login and logout.
 */
import { AuthenticationFailed } from "../core/errors.js";
import type { AuthEvents } from "../core/events.js";
import type { PasswordOptions } from "../passwords/hash.js";
import { type CsrfOptions, CsrfPolicy } from "../sessions/csrf.js";
import type { SessionManager } from "../sessions/manager.js";
import type { UserStore } from "../stores/types.js";
import type { Lockout } from "../throttling/lockout.js";
import { type ParsedBody, parseBody } from "./body.js";
import {
  detailResponse,
  type EndpointHandler,
  jsonResponse,
  methodNotAllowed,
  postOnly,
  unavailableAs503,
} from "./http.js";
import { checkLogin } from "./login.js";

/** Options for {@link sessionHandlers}. */
export interface SessionHandlersOptions<User = unknown> {
  /** The session manager. */
  sessions: SessionManager<User>;
  /** Where login credentials are checked; default: the manager's user store. */
  users?: UserStore<User>;
  /** Emits `loginSucceeded` / `loginFailed` with `via: "sessionLogin"`. */
  events?: AuthEvents;
  /** Password settings, so a weaker stored hash is upgraded at login. */
  passwords?: PasswordOptions;
  /**
   * Refuses a client's logins for a cool-off after too many failures: 429 with DRF's throttled body
   * and `Retry-After`, at the cost of a wrong password.
   */
  lockout?: Lockout;
  /** CSRF settings for these endpoints; default: the manager's. */
  csrf?: CsrfOptions;
}

/** The handlers {@link sessionHandlers} returns. */
export interface SessionHandlers {
  /** `POST {username, password}` (JSON or form), CSRF-checked: 200 `{"id", "username"}` with the cookies. */
  login: EndpointHandler;
  /** `POST`, CSRF-checked: ends the session, clears the cookie, 204. */
  logout: EndpointHandler;
  /** `GET`: sets the CSRF cookie and answers 200 `{"csrfToken": "<masked token>"}`. */
  csrf: EndpointHandler;
}

const VIA = "sessionLogin";

/**
 * Fetch handlers for a browser app on cookie sessions, CSRF-protected as Django's views are:
 *
 * - `csrf` (GET): the CSRF cookie, and a masked token in `{"csrfToken"}` to send back as `X-CSRFToken`;
 * - `login` (POST `{username, password}`, JSON or form): Django's CSRF check first (the token from the
 *   `X-CSRFToken` header or the `csrfmiddlewaretoken` form field), 403 `{"detail": "CSRF Failed: …"}`;
 *   then the credentials, DRF's 400 `{"non_field_errors": ["Unable to log in with provided
 *   credentials."]}` when refused; then a new session (never the old one) and a rotated CSRF cookie:
 *   200 `{"id", "username"}`;
 * - `logout` (POST, CSRF-checked against the session's own secret): the session ends server-side and
 *   the cookie is cleared: 204.
 *
 * Every answer that sets a cookie carries `Cache-Control: no-store` and `Vary: Cookie`.
 *
 * @param options - the session manager, users, events, password and CSRF settings
 * @returns the three handlers
 * @example
 * ```ts
 * const views = sessionHandlers({ sessions });
 * // GET  /api/session/csrf/   → views.csrf
 * // POST /api/session/login/  → views.login
 * // POST /api/session/logout/ → views.logout
 * ```
 */
export function sessionHandlers<User>(options: SessionHandlersOptions<User>): SessionHandlers {
  const { sessions, events, passwords, lockout } = options;
  if (!sessions) throw new TypeError("sessionHandlers needs `sessions`.");
  const users = options.users ?? sessions.users;
  const csrf =
    options.csrf === undefined ? sessions.csrf : new CsrfPolicy(options.csrf, { secure: sessions.secure });

  const login = postOnly(async (request, client) => {
    const body = await parseBody(request);
    if (body instanceof Response) return body;
    const reason = csrf.check(request, { formToken: formField(body, csrf.fieldName) });
    if (reason !== null) return detailResponse(403, `CSRF Failed: ${reason}`);
    const accepted = await checkLogin(body, client, { users, passwords, events, via: VIA, lockout });
    if (accepted instanceof Response) return accepted;
    const { headers } = await sessions.login(request, accepted.record);
    events?.emit("loginSucceeded", { record: accepted.record, via: VIA });
    return withCookies(
      jsonResponse(200, { id: accepted.record.id, username: accepted.record.username }),
      headers,
    );
  });

  const logout = postOnly(async (request) => {
    const body = await parseBody(request);
    if (body instanceof Response) return body;
    const active = await sessions.read(request).catch((error: unknown) => {
      if (error instanceof AuthenticationFailed) return null; // a malformed cookie: cleared below
      throw error;
    });
    const reason = csrf.check(request, {
      formToken: formField(body, csrf.fieldName),
      sessionSecret: active?.csrfSecret ?? null,
    });
    if (reason !== null) return detailResponse(403, `CSRF Failed: ${reason}`);
    const { headers } = await sessions.logout(request);
    return withCookies(new Response(null, { status: 204 }), headers);
  });

  const csrfView: EndpointHandler = async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD" && request.method !== "OPTIONS") {
      return methodNotAllowed(request.method, "GET, HEAD, OPTIONS");
    }
    const grant = await unavailableAs503(async () => {
      const { token, headers } = await sessions.csrfToken(request, csrf);
      return withCookies(jsonResponse(200, { csrfToken: token }), headers);
    }, request);
    grant.headers.set("Allow", "GET, HEAD, OPTIONS");
    return grant;
  };

  return { login, logout, csrf: csrfView };
}

function formField(body: ParsedBody, name: string): string | null {
  if (body.type !== "form") return null;
  const value = body.fields.get(name);
  return typeof value === "string" ? value : null;
}

function withCookies(response: Response, cookies: Headers): Response {
  for (const line of cookies.getSetCookie()) response.headers.append("Set-Cookie", line);
  response.headers.set("Cache-Control", "no-store");
  response.headers.append("Vary", "Cookie");
  return response;
}
