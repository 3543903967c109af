/**
 * `portcullis/sessions`: Django-compatible sessions whole: the manager, the CSRF policy and the pieces
 * under them (CSRF token masking, cookie reading and writing), for people who check CSRF or handle the
 * session cookie themselves. `SessionManager` and `CsrfPolicy` are in `portcullis` too.
 *
 * @example
 * ```ts
 * import { maskCsrfSecret, readCookie } from "portcullis/sessions";
 *
 * const cookie = readCookie(request, "csrftoken");
 * if (cookie !== null && "value" in cookie) console.log(maskCsrfSecret(cookie.value)); // a token for a form
 * ```
 *
 * @packageDocumentation
 */
export type { CookieAttributes, CookieRead } from "./cookies.js";
export { MAX_COOKIE_HEADER_LENGTH, readCookie, readCookieValues, serializeCookie } from "./cookies.js";
export type { CsrfCheckInput, CsrfOptions } from "./csrf.js";
export { CSRF_REASONS, CsrfPolicy } from "./csrf.js";
export {
  CSRF_SECRET_LENGTH,
  CSRF_TOKEN_LENGTH,
  maskCsrfSecret,
  newCsrfSecret,
  sessionCsrfSecret,
  unmaskCsrfToken,
} from "./csrf-tokens.js";
export { SESSION_AUTH_HASH_KEY } from "./live-session.js";
export { SessionManager } from "./manager.js";
export type {
  ActiveSession,
  CsrfTokenGrant,
  SessionLogin,
  SessionLogout,
  SessionManagerOptions,
} from "./types.js";
