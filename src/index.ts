/**
 * portcullis: Django REST Framework's authentication model for every JavaScript runtime. This entry
 * point holds what an application uses; building blocks for adapter, scheme and store authors are in
 * `portcullis/adapter-kit`, cookie and CSRF token helpers in `portcullis/sessions`, DRF's permissions
 * and throttles in `portcullis/permissions` and `portcullis/throttling`.
 *
 * @packageDocumentation
 */

export {
  AuthError,
  AuthenticationFailed,
  NotAuthenticated,
  PermissionDenied,
  SchemeError,
  StoreUnavailable,
  Throttled,
} from "./core/errors.js";
export type { AuthEventMap } from "./core/events.js";
export { AuthEvents } from "./core/events.js";
export type { ToResponseOptions } from "./core/response.js";
export { toResponse } from "./core/response.js";
export type { AuthResult } from "./core/runner.js";
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
export { InvalidToken } from "./jwt/errors.js";
export { JWTService } from "./jwt/service.js";
export type {
  AuthTokenType,
  JWTAlgorithm,
  JWTKey,
  JWTSettings,
  JWTVerifyingKey,
} from "./jwt/settings.js";
export type {
  JWTClaims,
  JWTUser,
  NoCustomClaims,
  PublicJWKSet,
  RefreshedTokens,
  TokenClaims,
  TokenPair,
  TokenType,
} from "./jwt/types.js";
export type {
  Argon2Options,
  PasswordAlgorithm,
  PasswordLimits,
  PasswordOptions,
  PasswordWarning,
  ScryptOptions,
  VerifyPasswordResult,
} from "./passwords/index.js";
export { hashPassword, isPasswordUsable, makeUnusablePassword, verifyPassword } from "./passwords/index.js";
export type { BasicAuthenticationOptions } from "./schemes/basic.js";
export { BasicAuthentication } from "./schemes/basic.js";
export type { JWTAuthenticationOptions } from "./schemes/jwt.js";
export { JWTAuthentication } from "./schemes/jwt.js";
export type { JWTStatelessUserAuthenticationOptions } from "./schemes/jwt-stateless.js";
export { JWTStatelessUserAuthentication, TokenUser } from "./schemes/jwt-stateless.js";
export type { SessionAuthenticationOptions } from "./schemes/session.js";
export { SessionAuthentication } from "./schemes/session.js";
export type { TokenAuthenticationOptions } from "./schemes/token.js";
export { TokenAuthentication } from "./schemes/token.js";
export type { CsrfOptions, SessionManagerOptions } from "./sessions/index.js";
export { CsrfPolicy, SessionManager } from "./sessions/index.js";
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
  RevocationStore,
  SessionRecord,
  SessionStore,
  TokenRecord,
  TokenStore,
  UserRecord,
  UserStore,
} from "./stores/types.js";
export type { IssuedToken, IssueTokenOptions } from "./tokens/issue.js";
export { revokeAllTokens, revokeToken } from "./tokens/issue.js";
