/**
 * simplejwt's JWTAuthentication.
 */
import { AuthenticationFailed } from "../core/errors.js";
import {
  type Authenticated,
  type AuthRequest,
  type BaseAuthentication,
  recordIdentity,
} from "../core/scheme.js";
import { type JWTService, serviceUsers } from "../jwt/service.js";
import type { NoCustomClaims, TokenClaims } from "../jwt/types.js";
import type { UserStore } from "../stores/types.js";
import { challenge, type UsualReader, userIdOf, usualBearer, validatedToken } from "./jwt-request.js";

/** Options for {@link JWTAuthentication}. */
export interface JWTAuthenticationOptions<User, Claims extends object = NoCustomClaims> {
  /**
   * The token service (settings, keys, revocations, users). The token's user is found by id in its
   * `users` store, whose user type is the type of `user`; its `claims` type is the type of `auth`.
   */
  jwt: JWTService<Claims, User>;
  /** The scheme's name in results; default `"jwt"`. */
  name?: string;
}

/**
 * `Authorization: Bearer <access token>`: simplejwt's `JWTAuthentication`, with its errors and codes. The
 * token types it accepts are the service's `authTokenTypes` (AUTH_TOKEN_CLASSES, default `["access"]`;
 * `["sliding"]` for sliding tokens), tried in order.
 *
 * - another keyword or no header: `null`; header types compare case-insensitively (simplejwt PR #977);
 * - "Authorization header must contain two space-delimited values" (`bad_authorization_header`);
 * - "Given token not valid for any token type" (`token_not_valid`, with `messages` on the error and in
 *   the body, one per type tried: `[{ token_class: "AccessToken", token_type: "access", message: "Token is expired" }]`);
 * - "Token contained no recognizable user identification" (`token_not_valid`);
 * - "User not found" (`user_not_found`), "User is inactive" (`user_inactive`),
 *   "The user's password has been changed." (`password_changed`, with `checkRevokeToken`).
 *
 * The challenge is `Bearer realm="api"`; after a refused token it adds RFC 6750's
 * `error="invalid_token"` and an `error_description`. Success: `{ user: record.user, auth: claims }`, the
 * user read from the service's `users` store (and typed by it), the claims typed by its `claims` setting.
 *
 * @example
 * ```ts
 * const jwt = new JWTService({ signingKey: process.env.JWT_SECRET!, users });
 * const result = await authenticate(request, [new JWTAuthentication({ jwt })]);
 *
 * // Custom claims: `auth.role` is a string, without a cast.
 * const roles = new JWTService({ signingKey, users, claims: (user) => ({ role: roleOf(user) }) });
 * const scheme = new JWTAuthentication({ jwt: roles });
 * const found = await scheme.authenticate(request);
 * found?.auth.role;
 * ```
 * @typeParam User - the application's user (the service's `users` store)
 * @typeParam Claims - the application's own claims (the service's `claims` setting)
 * @see https://django-rest-framework-simplejwt.readthedocs.io/en/latest/getting_started.html
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export class JWTAuthentication<User = unknown, Claims extends object = NoCustomClaims>
  implements BaseAuthentication<User, TokenClaims<Claims>>
{
  readonly name: string;
  readonly #jwt: JWTService<Claims, User>;
  readonly #usual: UsualReader;
  readonly #users: UserStore<User>;

  /**
   * @param options - the token service, which holds the user store
   * @throws TypeError without `jwt`, for a service without `users`, or for a `users` option (it belongs to
   *   the service)
   */
  constructor(options: JWTAuthenticationOptions<User, Claims>) {
    if (!options.jwt) throw new TypeError("JWTAuthentication needs `jwt`.");
    this.#users = serviceUsers(options.jwt, options, "JWTAuthentication");
    this.#jwt = options.jwt;
    this.#usual = usualBearer(options.jwt);
    this.name = options.name ?? "jwt";
  }

  /**
   * Authenticates a Bearer token (one of `authTokenTypes`) and loads its user.
   *
   * @param request - the request
   * @returns `{ user, auth: claims }`, or `null` without a Bearer header
   * @throws AuthenticationFailed / InvalidToken with simplejwt's messages and codes
   */
  async authenticate(request: AuthRequest): Promise<Authenticated<User, TokenClaims<Claims>> | null> {
    const claims = await validatedToken(this.#jwt, this.#usual, request);
    if (claims === null) return null;
    const id = userIdOf(this.#jwt, claims);
    if (id === null) throw new AuthenticationFailed("User not found", "user_not_found");
    const record = await this.#users.findById(id);
    const s = this.#jwt.settings;
    if (record === null) throw new AuthenticationFailed("User not found", "user_not_found");
    if (s.checkUserIsActive && !record.isActive)
      throw new AuthenticationFailed("User is inactive", "user_inactive");
    if (
      s.checkRevokeToken &&
      claims[s.revokeTokenClaim] !== (await this.#jwt.revokeTokenValue(record.passwordHash))
    ) {
      throw new AuthenticationFailed("The user's password has been changed.", "password_changed");
    }
    return { user: record.user, auth: claims as TokenClaims<Claims>, ...recordIdentity(record) }; // claims typed by the service
  }

  /**
   * The challenge for a 401: `Bearer realm="api"` (the first header type).
   *
   * @returns the `WWW-Authenticate` value
   */
  authenticateHeader(): string {
    return challenge(this.#jwt);
  }
}
