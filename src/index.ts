/**
 * portcullis: Django REST Framework's authentication model for every JavaScript runtime.
 *
 * @packageDocumentation
 */

export type { AuthorizationCredentials } from "./core/authorization.js";
export { MAX_AUTHORIZATION_LENGTH, readAuthorization } from "./core/authorization.js";
export { tokenDigest } from "./core/digest.js";
export type { Duration } from "./core/duration.js";
export { parseDuration } from "./core/duration.js";
export type { AuthErrorOptions } from "./core/errors.js";
export {
  AuthError,
  AuthenticationFailed,
  NotAuthenticated,
  PermissionDenied,
  SchemeError,
  StoreUnavailable,
} from "./core/errors.js";
export type { AuthEventListener, AuthEventMap } from "./core/events.js";
export { AuthEvents } from "./core/events.js";
export type { AuthOptions, GuardDeny, GuardOutcome, GuardPass } from "./core/guard.js";
export { guard, withDefaults } from "./core/guard.js";
export type { ErrorResponseParts, ServerErrorParts, ToResponseOptions } from "./core/response.js";
export {
  authErrorParts,
  errorParts,
  errorResponseParts,
  isStoreUnavailable,
  routeChallenge,
  serverError,
  toResponse,
} from "./core/response.js";
export type { AuthFailure, AuthNone, AuthResult, AuthSuccess } from "./core/runner.js";
export { authenticate } from "./core/runner.js";
export type { Authenticated, AuthRequest, BaseAuthentication } from "./core/scheme.js";
export type {
  EndpointHandler,
  JWTHandlers,
  JWTHandlersOptions,
  ObtainAuthTokenOptions,
  SessionHandlers,
  SessionHandlersOptions,
  TokenLoginOptions,
  TokenLogoutOptions,
} from "./endpoints/index.js";
export {
  createJWTHandlers,
  obtainAuthToken,
  sessionHandlers,
  tokenLogin,
  tokenLogout,
  tokenLogoutAll,
} from "./endpoints/index.js";
export type { TokenErrorMessage } from "./jwt/errors.js";
export { InvalidToken } from "./jwt/errors.js";
export type {
  JWTClaims,
  JWTUser,
  NoCustomClaims,
  PublicJWKSet,
  RefreshedTokens,
  TokenClaims,
  TokenPair,
  TokenType,
} from "./jwt/service.js";
export { FAMILY_CLAIM, JWTService } from "./jwt/service.js";
export type {
  AuthTokenType,
  JWTAlgorithm,
  JWTKey,
  JWTSettings,
  JWTVerifyingKey,
  ResolvedJWTSettings,
} from "./jwt/settings.js";
export type {
  Argon2Options,
  HashPasswordOptions,
  PasswordAlgorithm,
  PasswordLimits,
  PasswordOptions,
  PasswordWarning,
  ResolvedPasswordLimits,
  ResolvedPasswordOptions,
  ScryptOptions,
  VerifyPasswordResult,
} from "./passwords/index.js";
export {
  DEFAULT_PASSWORD_LIMITS,
  DEFAULT_PASSWORD_OPTIONS,
  hashPassword,
  isPasswordUsable,
  makeUnusablePassword,
  verifyPassword,
} from "./passwords/index.js";
export type { BasicAuthenticationOptions, BasicUsersOptions, BasicVerifyOptions } from "./schemes/basic.js";
export { BasicAuthentication } from "./schemes/basic.js";
export type { JWTAuthenticationOptions } from "./schemes/jwt.js";
export { JWTAuthentication } from "./schemes/jwt.js";
export type { JWTStatelessUserAuthenticationOptions } from "./schemes/jwt-stateless.js";
export { JWTStatelessUserAuthentication, TokenUser } from "./schemes/jwt-stateless.js";
export type { SessionAuthenticationOptions } from "./schemes/session.js";
export { SessionAuthentication } from "./schemes/session.js";
export type { TokenAuthenticationOptions } from "./schemes/token.js";
export { TokenAuthentication } from "./schemes/token.js";
export type {
  ActiveSession,
  CookieAttributes,
  CookieRead,
  CsrfCheckInput,
  CsrfOptions,
  CsrfTokenGrant,
  SessionLogin,
  SessionLogout,
  SessionManagerOptions,
} from "./sessions/index.js";
export {
  CSRF_REASONS,
  CSRF_SECRET_LENGTH,
  CSRF_TOKEN_LENGTH,
  CsrfPolicy,
  MAX_COOKIE_HEADER_LENGTH,
  maskCsrfSecret,
  newCsrfSecret,
  readCookie,
  readCookieValues,
  SESSION_AUTH_HASH_KEY,
  SessionManager,
  serializeCookie,
  sessionCsrfSecret,
  unmaskCsrfToken,
} from "./sessions/index.js";
export type { CreateUserFields, CreateUserOptions } from "./stores/create-user.js";
export { createUser } from "./stores/create-user.js";
export type { DefaultUser } from "./stores/memory.js";
export {
  MemoryRevocationStore,
  MemorySessionStore,
  MemoryTokenStore,
  MemoryUserStore,
} from "./stores/memory.js";
export type {
  CreateUserInput,
  OutstandingToken,
  RevocationStore,
  SessionRecord,
  SessionStore,
  TokenRecord,
  TokenStore,
  TokenTouch,
  UserRecord,
  UserStore,
} from "./stores/types.js";
export type { IssuedToken, IssueTokenOptions } from "./tokens/issue.js";
export { DEFAULT_TOKEN_PREFIX, revokeAllTokens, revokeToken } from "./tokens/issue.js";
