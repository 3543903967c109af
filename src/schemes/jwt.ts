/**
 * simplejwt's JWTAuthentication and JWTStatelessUserAuthentication.
 */
import { readAuthorization, usualAuthorization } from "../core/authorization.js";
import { AuthenticationFailed } from "../core/errors.js";
import type { Authenticated, AuthRequest, BaseAuthentication } from "../core/scheme.js";
import {
  callSync,
  callSync2,
  defineSyncTwin,
  isPromiseLike,
  type MaybePromise,
  settle,
} from "../core/sync-path.js";
import { InvalidToken } from "../jwt/errors.js";
import type { JWTClaims, JWTService } from "../jwt/service.js";
import type { UserRecord, UserStore } from "../stores/types.js";

/** Options for {@link JWTAuthentication}. */
export interface JWTAuthenticationOptions<User> {
  /** The token service (settings, keys, revocations). */
  jwt: JWTService;
  /** Where the token's user is found by id. */
  users: UserStore<User>;
  /** The scheme's name in results; default `"jwt"`. */
  name?: string;
}

/** Options for {@link JWTStatelessUserAuthentication}. */
export interface JWTStatelessUserAuthenticationOptions {
  /** The token service. */
  jwt: JWTService;
  /** The scheme's name in results; default `"jwt-stateless"`. */
  name?: string;
}

/**
 * `Authorization: Bearer <access token>`: simplejwt's `JWTAuthentication`, with its errors and codes:
 *
 * - another keyword or no header: `null`; header types compare case-insensitively (simplejwt PR #977);
 * - "Authorization header must contain two space-delimited values" (`bad_authorization_header`);
 * - "Given token not valid for any token type" (`token_not_valid`, with `messages` on the error and in
 *   the body: `[{ token_class: "AccessToken", token_type: "access", message: "Token is expired" }]`);
 * - "Token contained no recognizable user identification" (`token_not_valid`);
 * - "User not found" (`user_not_found`), "User is inactive" (`user_inactive`),
 *   "The user's password has been changed." (`password_changed`, with `checkRevokeToken`).
 *
 * The challenge is `Bearer realm="api"`; after a refused token it adds RFC 6750's
 * `error="invalid_token"` and an `error_description`. Success: `{ user: record.user, auth: claims }`.
 *
 * @example
 * ```ts
 * const jwt = new JWTService({ signingKey: process.env.JWT_SECRET!, users });
 * const result = await authenticate(request, [new JWTAuthentication({ jwt, users })]);
 * ```
 * @see https://django-rest-framework-simplejwt.readthedocs.io/en/latest/getting_started.html
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export class JWTAuthentication<User = unknown> implements BaseAuthentication<User, JWTClaims> {
  readonly name: string;
  readonly #jwt: JWTService;
  readonly #usual: UsualReader;
  readonly #users: UserStore<User>;

  /**
   * @param options - the token service and the user store
   */
  constructor(options: JWTAuthenticationOptions<User>) {
    if (!options.jwt || !options.users) throw new TypeError("JWTAuthentication needs `jwt` and `users`.");
    this.#jwt = options.jwt;
    this.#usual = usualBearer(options.jwt);
    this.#users = options.users;
    this.name = options.name ?? "jwt";
  }

  /**
   * Authenticates a Bearer access token and loads its user.
   *
   * @param request - the request
   * @returns `{ user, auth: claims }`, or `null` without a Bearer header
   * @throws AuthenticationFailed / InvalidToken with simplejwt's messages and codes
   */
  authenticate(request: AuthRequest): Promise<Authenticated<User, JWTClaims> | null> {
    return settle(this, this.#authenticate, request);
  }

  // The runner calls this twin (../core/sync-path.ts): with node:crypto and the memory stores, a token
  // is checked and its user found without a microtask.
  static {
    defineSyncTwin(
      JWTAuthentication.prototype.authenticate,
      function (this: JWTAuthentication<unknown>, request: AuthRequest) {
        return this.#authenticate(request);
      },
    );
  }

  #authenticate(request: AuthRequest): MaybePromise<Authenticated<User, JWTClaims> | null> {
    const claims = validatedToken(this.#jwt, this.#usual, request);
    if (claims === null) return null;
    if (isPromiseLike(claims)) return Promise.resolve(claims).then((validated) => this.#withUser(validated));
    return this.#withUser(claims);
  }

  #withUser(claims: JWTClaims): MaybePromise<Authenticated<User, JWTClaims>> {
    const id = userIdOf(this.#jwt, claims);
    if (id === null) throw new AuthenticationFailed("User not found", "user_not_found");
    const users = this.#users;
    const record = callSync(users, users.findById, id);
    if (isPromiseLike(record)) return Promise.resolve(record).then((found) => this.#accept(claims, found));
    return this.#accept(claims, record);
  }

  #accept(claims: JWTClaims, record: UserRecord<User> | null): Authenticated<User, JWTClaims> {
    const s = this.#jwt.settings;
    if (record === null) throw new AuthenticationFailed("User not found", "user_not_found");
    if (s.checkUserIsActive && !record.isActive)
      throw new AuthenticationFailed("User is inactive", "user_inactive");
    if (
      s.checkRevokeToken &&
      claims[s.revokeTokenClaim] !== this.#jwt.revokeTokenValue(record.passwordHash)
    ) {
      throw new AuthenticationFailed("The user's password has been changed.", "password_changed");
    }
    return { user: record.user, auth: claims };
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
 * token checks as {@link JWTAuthentication}, no store lookup; the user is a {@link TokenUser}.
 *
 * @example
 * ```ts
 * const stateless = new JWTStatelessUserAuthentication({ jwt });
 * ```
 */
export class JWTStatelessUserAuthentication implements BaseAuthentication<TokenUser, JWTClaims> {
  readonly name: string;
  readonly #jwt: JWTService;
  readonly #usual: UsualReader;

  /**
   * @param options - the token service
   */
  constructor(options: JWTStatelessUserAuthenticationOptions) {
    if (!options.jwt) throw new TypeError("JWTStatelessUserAuthentication needs `jwt`.");
    this.#jwt = options.jwt;
    this.#usual = usualBearer(options.jwt);
    this.name = options.name ?? "jwt-stateless";
  }

  /**
   * Authenticates a Bearer access token; the user comes from its claims.
   *
   * @param request - the request
   * @returns `{ user: TokenUser, auth: claims }`, or `null` without a Bearer header
   * @throws AuthenticationFailed / InvalidToken with simplejwt's messages and codes
   */
  authenticate(request: AuthRequest): Promise<Authenticated<TokenUser, JWTClaims> | null> {
    return settle(this, this.#authenticate, request);
  }

  static {
    defineSyncTwin(
      JWTStatelessUserAuthentication.prototype.authenticate,
      function (this: JWTStatelessUserAuthentication, request: AuthRequest) {
        return this.#authenticate(request);
      },
    );
  }

  #authenticate(request: AuthRequest): MaybePromise<Authenticated<TokenUser, JWTClaims> | null> {
    const claims = validatedToken(this.#jwt, this.#usual, request);
    if (claims === null) return null;
    if (isPromiseLike(claims)) return Promise.resolve(claims).then((validated) => this.#accept(validated));
    return this.#accept(claims);
  }

  #accept(claims: JWTClaims): Authenticated<TokenUser, JWTClaims> {
    if (userIdOf(this.#jwt, claims) === null)
      throw new AuthenticationFailed("User not found", "user_not_found");
    return { user: new TokenUser(claims, this.#jwt.settings.userIdClaim), auth: claims };
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

function challenge(jwt: JWTService): string {
  return `${jwt.settings.authHeaderTypes[0]} realm="api"`;
}

// RFC 6750 §3: the challenge after a refused token.
function invalidToken(
  jwt: JWTService,
  detail: string,
  options: ConstructorParameters<typeof InvalidToken>[1] = {},
) {
  const description = detail.replace(/[\\"]/g, "\\$&");
  return new InvalidToken(detail, {
    ...options,
    wwwAuthenticate: `${challenge(jwt)}, error="invalid_token", error_description="${description}"`,
  });
}

// simplejwt's get_header + get_raw_token + get_validated_token: the claims, at once when the service can
// answer at once (its synchronous twin), else a promise; null without a Bearer header.
function validatedToken(
  jwt: JWTService,
  usual: UsualReader,
  request: AuthRequest,
): MaybePromise<JWTClaims> | null {
  const token = usual(request) ?? rawToken(jwt, request);
  if (token === null) return null;
  let claims: MaybePromise<JWTClaims>;
  try {
    claims = callSync2(jwt, jwt.validate, token, "access");
  } catch (error) {
    throw refusal(jwt, error);
  }
  if (!isPromiseLike(claims)) return claims;
  return Promise.resolve(claims).then(undefined, (error: unknown) => {
    throw refusal(jwt, error);
  });
}

type UsualReader = (request: AuthRequest) => string | null;

// The usual header: a configured type, one space and a compact JWS (base64url and dots).
function usualBearer(jwt: JWTService): UsualReader {
  return usualAuthorization(jwt.settings.authHeaderTypes, "A-Za-z0-9_.-", jwt.settings.authHeaderName);
}

// simplejwt's get_raw_token: the one credential after a configured type, null without one.
function rawToken(jwt: JWTService, request: AuthRequest): string | null {
  const s = jwt.settings;
  const parsed = readAuthorization(request, s.authHeaderTypes, s.authHeaderName);
  if (parsed === null) return null;
  if (parsed.credentials.length !== 1) {
    throw new AuthenticationFailed(
      "Authorization header must contain two space-delimited values",
      "bad_authorization_header",
    );
  }
  return parsed.credentials[0]!;
}

// simplejwt's answer to a refused access token; any other error goes on as it is.
function refusal(jwt: JWTService, error: unknown): unknown {
  if (!(error instanceof InvalidToken)) return error;
  const messages = [{ token_class: "AccessToken", token_type: "access", message: error.detail }];
  return invalidToken(jwt, "Given token not valid for any token type", { cause: error, messages });
}

// simplejwt: a missing claim is "no recognizable user identification"; a claim that names nobody (null,
// an object) is looked up and not found.
function userIdOf(jwt: JWTService, claims: JWTClaims): string | null {
  if (!Object.hasOwn(claims, jwt.settings.userIdClaim)) {
    throw invalidToken(jwt, "Token contained no recognizable user identification");
  }
  const id = claims[jwt.settings.userIdClaim];
  return typeof id === "string" || typeof id === "number" ? String(id) : null;
}
