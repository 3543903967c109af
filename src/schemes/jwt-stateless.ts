/**
 * simplejwt's JWTStatelessUserAuthentication and its TokenUser.
 */
import { AuthenticationFailed } from "../core/errors.js";
import type { Authenticated, AuthRequest, BaseAuthentication } from "../core/scheme.js";
import type { JWTService } from "../jwt/service.js";
import type { JWTClaims, NoCustomClaims, TokenClaims } from "../jwt/types.js";
import { challenge, type UsualReader, userIdOf, usualBearer, validatedToken } from "./jwt-request.js";

/** Options for {@link JWTStatelessUserAuthentication}. */
export interface JWTStatelessUserAuthenticationOptions<Claims extends object = NoCustomClaims> {
  /** The token service; its `claims` type is the type of `auth`. */
  jwt: JWTService<Claims>;
  /** The scheme's name in results; default `"jwt-stateless"`. */
  name?: string;
}

/**
 * A user built from a token's claims, without a store lookup: simplejwt's `TokenUser`.
 *
 * @example
 * ```ts
 * if (result.outcome === "success") console.log(result.user.id, result.user.get("scope"));
 * ```
 */
export class TokenUser {
  /** The user id claim, as a string. */
  readonly id: string;
  /** The same as `id` (Django's `pk`). */
  readonly pk: string;
  /** The `username` claim, or `""`. */
  readonly username: string;
  /** The `is_staff` claim, or false. */
  readonly isStaff: boolean;
  /** The `is_superuser` claim, or false. */
  readonly isSuperuser: boolean;
  /** Always true: an inactive user could not have a valid token. */
  readonly isActive = true as const;
  /** Every claim of the token. */
  readonly claims: JWTClaims;

  /**
   * @param claims - the validated claims
   * @param userIdClaim - the user id claim's name
   */
  constructor(claims: JWTClaims, userIdClaim: string) {
    this.claims = claims;
    this.id = String(claims[userIdClaim]);
    this.pk = this.id;
    this.username = typeof claims.username === "string" ? claims.username : "";
    this.isStaff = claims.is_staff === true;
    this.isSuperuser = claims.is_superuser === true;
  }

  /**
   * A claim's value, or `undefined` (simplejwt's `__getattr__` over the token).
   *
   * @param claim - the claim's name
   * @returns its value
   */
  get(claim: string): unknown {
    return Object.hasOwn(this.claims, claim) ? this.claims[claim] : undefined;
  }
}

/**
 * simplejwt's `JWTStatelessUserAuthentication` (alias `JWTTokenUserAuthentication`): the same header and
 * token checks as {@link JWTAuthentication | JWTAuthentication}, no store lookup; the user is a {@link TokenUser}.
 *
 * @example
 * ```ts
 * const stateless = new JWTStatelessUserAuthentication({ jwt });
 * ```
 * @typeParam Claims - the application's own claims (the service's `claims` setting)
 */
export class JWTStatelessUserAuthentication<Claims extends object = NoCustomClaims>
  implements BaseAuthentication<TokenUser, TokenClaims<Claims>>
{
  readonly name: string;
  readonly #jwt: JWTService<Claims>;
  readonly #usual: UsualReader;

  /**
   * @param options - the token service
   */
  constructor(options: JWTStatelessUserAuthenticationOptions<Claims>) {
    if (!options.jwt) throw new TypeError("JWTStatelessUserAuthentication needs `jwt`.");
    this.#jwt = options.jwt;
    this.#usual = usualBearer(options.jwt);
    this.name = options.name ?? "jwt-stateless";
  }

  /**
   * Authenticates a Bearer token (one of the service's `authTokenTypes`); the user comes from its claims.
   *
   * @param request - the request
   * @returns `{ user: TokenUser, auth: claims }`, or `null` without a Bearer header
   * @throws AuthenticationFailed / InvalidToken with simplejwt's messages and codes
   */
  async authenticate(request: AuthRequest): Promise<Authenticated<TokenUser, TokenClaims<Claims>> | null> {
    const claims = await validatedToken(this.#jwt, this.#usual, request);
    if (claims === null) return null;
    if (userIdOf(this.#jwt, claims) === null)
      throw new AuthenticationFailed("User not found", "user_not_found");
    const auth = claims as TokenClaims<Claims>; // typed by the service's claims hook
    return { user: new TokenUser(claims, this.#jwt.settings.userIdClaim), auth };
  }

  /**
   * The challenge for a 401: `Bearer realm="api"`.
   *
   * @returns the `WWW-Authenticate` value
   */
  authenticateHeader(): string {
    return challenge(this.#jwt);
  }
}
