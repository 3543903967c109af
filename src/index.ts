/**
 * portcullis: Django REST Framework's authentication model for every JavaScript runtime.
 *
 * @packageDocumentation
 */

export type { AuthorizationCredentials } from "./core/authorization.js";
export { MAX_AUTHORIZATION_LENGTH, readAuthorization } from "./core/authorization.js";
export type { AuthErrorOptions } from "./core/errors.js";
export {
  AuthError,
  AuthenticationFailed,
  NotAuthenticated,
  PermissionDenied,
  SchemeError,
} from "./core/errors.js";
export type { ErrorResponseParts } from "./core/response.js";
export { errorResponseParts, toResponse } from "./core/response.js";
export type { AuthFailure, AuthNone, AuthResult, AuthSuccess } from "./core/runner.js";
export { authenticate } from "./core/runner.js";
export type { Authenticated, AuthRequest, BaseAuthentication } from "./core/scheme.js";
export type {
  Argon2Options,
  HashPasswordOptions,
  PasswordAlgorithm,
  PasswordOptions,
  ResolvedPasswordOptions,
  ScryptOptions,
  VerifyPasswordResult,
} from "./passwords/index.js";
export {
  DEFAULT_PASSWORD_OPTIONS,
  hashPassword,
  isPasswordUsable,
  makeUnusablePassword,
  verifyPassword,
} from "./passwords/index.js";
export type { BasicAuthenticationOptions, BasicUsersOptions, BasicVerifyOptions } from "./schemes/basic.js";
export { BasicAuthentication } from "./schemes/basic.js";
export type { DefaultUser } from "./stores/memory.js";
export { MemoryUserStore } from "./stores/memory.js";
export type { CreateUserInput, UserRecord, UserStore } from "./stores/types.js";
