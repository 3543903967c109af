/**
 * `portcullis/adapter-kit`: building blocks for people who connect portcullis to a framework of their
 * own, or write a scheme or store: the guard every adapter runs, the parts of an error response, the
 * `Authorization` header reader, durations, token digests, and settings with their defaults filled in.
 * An application imports from `portcullis` and its adapter instead.
 *
 * @example
 * ```ts
 * import { BasicAuthentication } from "portcullis";
 * import { guard } from "portcullis/adapter-kit";
 *
 * const outcome = await guard(request, { schemes: [new BasicAuthentication({ users })] });
 * if (!outcome.ok) return new Response(JSON.stringify(outcome.body), outcome);
 * ```
 *
 * @packageDocumentation
 */

export type { AuthorizationCredentials } from "./core/authorization.js";
export { MAX_AUTHORIZATION_LENGTH, readAuthorization } from "./core/authorization.js";
export { tokenDigest } from "./core/digest.js";
export type { Duration } from "./core/duration.js";
export { parseDuration } from "./core/duration.js";
export type { AuthErrorOptions } from "./core/errors.js";
export type { AuthEventListener } from "./core/events.js";
export type { AuthOptions, GuardDeny, GuardOutcome, GuardPass } from "./core/guard.js";
export { guard, withDefaults } from "./core/guard.js";
export type { ErrorResponseParts, ServerErrorParts } from "./core/response.js";
export {
  authErrorParts,
  errorParts,
  errorResponseParts,
  isStoreUnavailable,
  routeChallenge,
  serverError,
} from "./core/response.js";
export type { AuthFailure, AuthNone, AuthSuccess } from "./core/runner.js";
export { FAMILY_CLAIM } from "./jwt/claims.js";
export type { TokenErrorMessage } from "./jwt/errors.js";
export type { ResolvedJWTSettings } from "./jwt/settings.js";
export type {
  HashPasswordOptions,
  ResolvedPasswordLimits,
  ResolvedPasswordOptions,
} from "./passwords/index.js";
export { DEFAULT_PASSWORD_LIMITS, DEFAULT_PASSWORD_OPTIONS } from "./passwords/index.js";
export type { BasicUsersOptions, BasicVerifyOptions } from "./schemes/basic.js";
export type { CreateUserInput, OutstandingToken, TokenTouch } from "./stores/types.js";
export { DEFAULT_TOKEN_PREFIX } from "./tokens/issue.js";
