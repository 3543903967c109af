/**
 * Sessions: the manager, cookies and Django-compatible CSRF.
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
