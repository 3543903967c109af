/**
 * The shapes the token service takes and returns; re-exported from `./service.js`.
 */
import type { UserRecord } from "../stores/types.js";

/** The token types simplejwt mints. */
export type TokenType = "access" | "refresh" | "sliding";

/** The claims of a validated token (read them as own members: `Object.hasOwn`). */
export type JWTClaims = Record<string, unknown>;

/**
 * The claims of a validated token with the application's own claims typed (see the `claims` setting):
 * `JWTClaims & Claims`, which is just `JWTClaims` when the service has no typed claims.
 *
 * @example
 * ```ts
 * const jwt = new JWTService({ signingKey, claims: (user) => ({ role: "admin" as string }) });
 * const claims: TokenClaims<{ role: string }> = await jwt.validate(access, "access");
 * claims.role; // string
 * ```
 */
export type TokenClaims<Claims extends object = NoCustomClaims> = JWTClaims & Claims;

/**
 * The claims type of a service without a `claims` hook: nothing beyond {@link JWTClaims}
 * (`JWTClaims & NoCustomClaims` is `JWTClaims`).
 *
 * @example
 * ```ts
 * const plain: JWTService<NoCustomClaims> = new JWTService({ signingKey });
 * ```
 */
// biome-ignore lint/complexity/noBannedTypes: `{}` is the one type an intersection drops: JWTClaims & {} is JWTClaims.
export type NoCustomClaims = {};

/** A user as the service needs it: a `UserRecord`, or anything with an `id`. */
export type JWTUser = Pick<UserRecord<unknown>, "id"> & Partial<UserRecord<unknown>>;

/** What {@link JWTService.obtainPair} returns: simplejwt's `TokenObtainPairView` body. */
export interface TokenPair {
  /** The access token. */
  access: string;
  /** The refresh token. */
  refresh: string;
}

/** What {@link JWTService.refresh} returns: simplejwt's `TokenRefreshView` body. */
export interface RefreshedTokens {
  /** A new access token. */
  access: string;
  /** A new refresh token, when `rotateRefreshTokens` is on. */
  refresh?: string;
}

/** A public JWK Set (RFC 7517 §5). */
export interface PublicJWKSet {
  /** The public keys, with `kid`, `alg` and `use: "sig"`. */
  keys: object[];
}
