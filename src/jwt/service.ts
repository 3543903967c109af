/**
 * The token service: simplejwt's access, refresh and sliding tokens, blacklist, rotation with reuse
 * detection, on jose.
 */

import { tokenDigest } from "../core/digest.js";
import { AuthenticationFailed } from "../core/errors.js";
import type { RevocationStore, UserRecord, UserStore } from "../stores/types.js";
import { VerifiedTokenCache } from "./cache.js";
import {
  accessClaimsFrom,
  addCustomClaims,
  expiryAfter,
  FAMILY_CLAIM,
  newClaims,
  newJti,
  now,
} from "./claims.js";
import { InvalidToken } from "./errors.js";
import { signCompact } from "./jws.js";
import { KeyRing } from "./keys.js";
import { TokenLedger } from "./ledger.js";
import { type JWTSettings, type ResolvedJWTSettings, resolveSettings } from "./settings.js";
import type {
  JWTClaims,
  JWTUser,
  NoCustomClaims,
  PublicJWKSet,
  RefreshedTokens,
  TokenClaims,
  TokenPair,
  TokenType,
} from "./types.js";
import { type TokenValidation, validateAuthToken, validateToken } from "./validation.js";

/**
 * The service's user store, for the scheme or views named `owner`, which take `users` from the service
 * only: a `users` option there (the old way) would be a second store that silently disagrees.
 * @internal
 */
export function serviceUsers<User>(
  jwt: JWTService<object, User>,
  options: object | undefined,
  owner: string,
): UserStore<User> {
  if (options !== undefined && Object.hasOwn(options, "users")) {
    throw new TypeError(
      `${owner} takes \`users\` from its JWTService: give it to new JWTService({ ..., users }) instead.`,
    );
  }
  if (jwt.users === null) {
    throw new TypeError(`${owner} needs a JWTService with \`users\`: new JWTService({ ..., users }).`);
  }
  return jwt.users;
}

/**
 * simplejwt's token machinery: issue, validate, refresh (with rotation and reuse detection), blacklist,
 * sliding tokens. Settings are simplejwt's, in camelCase, with its defaults; keys are imported once.
 *
 * @example
 * ```ts
 * const jwt = new JWTService({ signingKey: process.env.JWT_SECRET!, users, revocations,
 *   rotateRefreshTokens: true, blacklistAfterRotation: true });
 * const { access, refresh } = await jwt.obtainPair(user);
 * const claims = await jwt.validate(access, "access");
 * const next = await jwt.refresh(refresh); // { access, refresh }
 *
 * // Custom claims (simplejwt's get_token override), typed on `validate` and on the schemes' `auth`:
 * const tenantJwt = new JWTService({ signingKey, claims: (user) => ({ tenant: "acme" }) });
 * ```
 * @typeParam Claims - the application's own claims, as the `claims` setting returns them
 * @typeParam User - the application's user, as the `users` store holds it: the type of
 *   `JWTAuthentication`'s `user`
 * @see https://django-rest-framework-simplejwt.readthedocs.io/en/latest/
 */
export class JWTService<Claims extends object = NoCustomClaims, User = unknown> {
  /** The resolved settings (lifetimes in seconds). */
  readonly settings: ResolvedJWTSettings;
  /**
   * The `users` setting, or `null`: the one store that `JWTAuthentication`, the views of
   * `createJWTHandlers` and `refresh` read users from.
   */
  readonly users: UserStore<User> | null;
  readonly #keys: KeyRing;
  readonly #revocations: RevocationStore | null;
  readonly #ledger: TokenLedger | null;
  readonly #validation: TokenValidation;
  readonly #claims: ((user: JWTUser) => unknown) | null;

  /**
   * @param settings - simplejwt's settings in camelCase, plus `revocations` and `users`
   * @throws TypeError for a missing signing key, an HMAC key shorter than its hash, or a setting that needs a
   *   store which is missing
   */
  constructor(settings: JWTSettings<Claims, User>) {
    this.settings = resolveSettings(settings);
    if (settings.claims !== undefined && typeof settings.claims !== "function")
      throw new TypeError("JWTService: `claims` is a function of the user.");
    this.#claims = settings.claims ?? null;
    this.#keys = new KeyRing(settings);
    this.#revocations = settings.revocations ?? null;
    this.#ledger = this.#revocations === null ? null : new TokenLedger(this.#revocations, this.settings);
    this.users = settings.users ?? null;
    const size = settings.verifiedTokenCache ?? 0;
    if (!Number.isInteger(size) || size < 0)
      throw new RangeError("verifiedTokenCache must be a whole number.");
    const cache = size > 0 ? new VerifiedTokenCache(size, this.settings.leeway) : null;
    this.#validation = { settings: this.settings, keys: this.#keys, revocations: this.#revocations, cache };
  }

  /** Reuse detection is on when refresh tokens rotate and a revocation store is set. */
  get reuseDetection(): boolean {
    return this.settings.rotateRefreshTokens && this.#revocations !== null;
  }

  /**
   * `TokenObtainPairView`: a refresh token for `user` and the access token derived from it.
   *
   * @param user - a `UserRecord` (or `{ id }`)
   * @returns `{ access, refresh }`
   */
  async obtainPair(user: JWTUser): Promise<TokenPair> {
    const refresh = await this.#forUser("refresh", this.settings.refreshTokenLifetime, user);
    if (this.reuseDetection) refresh[FAMILY_CLAIM] = newJti();
    const access = accessClaimsFrom(this.settings, refresh);
    await this.#ledger?.record(refresh);
    await this.#ledger?.recordAccess(access, refresh);
    return { access: await this.#sign(access), refresh: await this.#sign(refresh) };
  }

  /**
   * `TokenRefreshView`: a new access token from a refresh token; with `rotateRefreshTokens`, a new refresh
   * token too (the old one is blacklisted with `blacklistAfterRotation`). With reuse detection, of
   * concurrent refreshes of one token, in one process or many, exactly one succeeds and the others are
   * refused; presenting a rotated token again more than `reuseGraceSeconds` after its rotation revokes its
   * whole family (RFC 9700 §4.14.2), within it only refuses it. Every read that can fail (the user) comes
   * before the token is used up, so a store outage (503) leaves it usable for a retry.
   *
   * @param token - the refresh token
   * @returns `{ access }`, and `refresh` when rotating
   * @throws InvalidToken for a refused token; AuthenticationFailed "No active account found for the given
   *   token." (`no_active_account`) when its user is missing or inactive; StoreUnavailable when a store
   *   cannot answer
   */
  async refresh(token: string): Promise<RefreshedTokens> {
    const ledger = this.reuseDetection ? this.#ledger : null;
    // With reuse detection, `rotate` is the blacklist check: a rotated (or blacklisted) token that comes
    // back revokes its family, rather than being merely refused.
    const claims = await this.#validate(token, "refresh", ledger === null);
    // The "blacklisted" verdict first, as simplejwt checks the blacklist before the user: a rotated or
    // revoked token is refused (a replay revokes its family) even while the user store is down.
    await ledger?.refuseIfUsed(claims);
    // Read before the token is used up: a user store that is down answers 503 with the token intact.
    const refusal = await this.#userRefusal(claims, await this.#findUser(claims));
    // A token refused for its user is not used up (simplejwt blacklists it only after the user check).
    if (refusal !== null) await this.#refuse(claims, refusal);
    await ledger?.rotate(claims);
    const access = accessClaimsFrom(this.settings, claims);
    await this.#ledger?.recordAccess(access, claims);
    const signedAccess = await this.#sign(access);
    if (!this.settings.rotateRefreshTokens) return { access: signedAccess };

    const at = now();
    const rotated: JWTClaims = { ...claims };
    rotated[this.settings.jtiClaim] = newJti();
    rotated.exp = expiryAfter(at, this.settings.refreshTokenLifetime);
    rotated.iat = at;
    if (ledger !== null) rotated[FAMILY_CLAIM] = ledger.lineage(claims); // a family-less token roots one
    await this.#ledger?.record(rotated);
    return { access: signedAccess, refresh: await this.#sign(rotated) };
  }

  /**
   * `TokenVerifyView`: checks any token (signature, expiry, id; no type), and that it is not blacklisted.
   *
   * @param token - any token issued here
   * @returns its claims
   * @throws InvalidToken ("Token is blacklisted" for a blacklisted one)
   */
  async verify(token: string): Promise<JWTClaims> {
    const claims = await this.validate(token, null);
    const jti = claims[this.settings.jtiClaim] as string;
    if (this.#revocations !== null && (await this.#revocations.isRevoked(jti))) {
      throw new InvalidToken("Token is blacklisted");
    }
    return claims;
  }

  /**
   * `TokenBlacklistView`: blacklists a refresh token (logout). With rotation, its whole family is revoked
   * with it, and a token that was already rotated is reuse: its family is revoked (cutting off whoever
   * holds its successor) and the call refused with "Token is blacklisted"; a logout racing a refresh of
   * the same token leaves exactly one of them effective. With `checkRevokedAccess`, the access tokens
   * minted from it are revoked too: with rotation, every token of its family; without, those minted from
   * this refresh token.
   *
   * @param token - the refresh token
   * @throws InvalidToken for a refused, already blacklisted or already rotated token; TypeError without a
   *   revocation store
   */
  async blacklist(token: string): Promise<void> {
    if (this.#ledger === null) throw new TypeError("JWTService.blacklist needs a `revocations` store.");
    // With rotation the ledger decides "blacklisted" atomically, rotated tokens included (they may be
    // blacklisted after rotation, and must still revoke their family).
    const claims = await this.#validate(token, "refresh", !this.settings.rotateRefreshTokens);
    await this.#ledger.blacklist(claims);
  }

  /**
   * `TokenObtainSlidingView`: one token that is both access and refresh.
   *
   * @param user - a `UserRecord` (or `{ id }`)
   * @returns the sliding token
   */
  async obtainSliding(user: JWTUser): Promise<string> {
    const sliding = await this.#forUser("sliding", this.settings.slidingTokenLifetime, user);
    sliding[this.settings.slidingTokenRefreshExpClaim] = expiryAfter(
      sliding.iat as number,
      this.settings.slidingTokenRefreshLifetime,
    );
    await this.#ledger?.record(sliding);
    return this.#sign(sliding);
  }

  /**
   * `TokenRefreshSlidingView`: the same sliding token with a new `exp`, until its `refresh_exp`.
   *
   * @param token - the sliding token
   * @returns the refreshed sliding token
   * @throws InvalidToken ("Token 'refresh_exp' claim has expired" past the refresh window)
   */
  async refreshSliding(token: string): Promise<string> {
    const claims = await this.validate(token, "sliding");
    const refusal = await this.#userRefusal(claims, await this.#findUser(claims));
    if (refusal !== null) await this.#refuse(claims, refusal);
    const at = now();
    const refreshExp = claims[this.settings.slidingTokenRefreshExpClaim];
    if (refreshExp === undefined)
      throw new InvalidToken(`Token has no '${this.settings.slidingTokenRefreshExpClaim}' claim`);
    if (typeof refreshExp !== "number" || refreshExp <= at - this.settings.leeway) {
      throw new InvalidToken(`Token '${this.settings.slidingTokenRefreshExpClaim}' claim has expired`);
    }
    const refreshed: JWTClaims = {
      ...claims,
      exp: expiryAfter(at, this.settings.slidingTokenLifetime),
      iat: at,
    };
    return this.#sign(refreshed);
  }

  /**
   * Validates a token as simplejwt's `Token(token)` does: signature and registered claims, then the
   * blacklist (refresh and sliding tokens; access tokens too with `checkRevokedAccess`), `exp`, `jti`, type.
   * Without a type, as the JWT schemes do (simplejwt's `get_validated_token`): as each of `authTokenTypes`.
   *
   * @param token - the token
   * @param type - the expected `token_type`, `null` for any (simplejwt's `UntypedToken`), or omitted for
   *   any of `authTokenTypes`
   * @returns the claims
   * @throws InvalidToken with simplejwt's message; without a type, "Given token not valid for any token
   *   type" with one `messages` entry per type tried
   * @example
   * ```ts
   * const claims = await jwt.validate(access, "access");
   * const forRequests = await jwt.validate(token); // as the Bearer scheme would: authTokenTypes
   * ```
   */
  validate(token: string, type?: TokenType | null): Promise<TokenClaims<Claims>> {
    // The claims are typed by the `claims` setting: the tokens this service issues carry them.
    return this.#validate(token, type, true) as Promise<TokenClaims<Claims>>;
  }

  // The pipeline (signature, registered claims, blacklist, exp, jti, type) lives in ./validation.ts.
  #validate(token: string, type: TokenType | null | undefined, checkBlacklist: boolean): Promise<JWTClaims> {
    if (type === undefined) return validateAuthToken(this.#validation, token);
    return validateToken(this.#validation, token, type, checkBlacklist);
  }

  /**
   * The public JWK Set of the asymmetric verifying keys, to publish at `/.well-known/jwks.json`.
   *
   * @returns `{ keys: [...] }`
   */
  jwks(): Promise<PublicJWKSet> {
    return this.#keys.jwks();
  }

  /**
   * The value of the revoke-token claim for a stored password hash: hex SHA-256 (simplejwt uses MD5).
   *
   * @param passwordHash - the user's stored hash
   * @returns 64 lowercase hex characters
   */
  revokeTokenValue(passwordHash: string | null): Promise<string> {
    return tokenDigest(passwordHash ?? "");
  }

  async #forUser(type: TokenType, lifetime: number, user: JWTUser): Promise<JWTClaims> {
    const s = this.settings;
    const claims = newClaims(s, type, lifetime);
    claims[s.userIdClaim] = String(user.id);
    if (s.audience !== null) claims.aud = s.audience.length === 1 ? s.audience[0] : [...s.audience];
    if (s.issuer !== null) claims.iss = s.issuer;
    if (s.checkRevokeToken) {
      const record = user.passwordHash !== undefined ? user : await this.users!.findById(String(user.id));
      claims[s.revokeTokenClaim] = await this.revokeTokenValue(record?.passwordHash ?? null);
    }
    if (this.#claims !== null) addCustomClaims(claims, await this.#claims(user), s);
    return claims;
  }

  // The token's user, read for #userRefusal: undefined when there is nothing to check (no user store, or
  // a token without a user id), null when the store has no such user.
  async #findUser(claims: JWTClaims): Promise<UserRecord<unknown> | null | undefined> {
    const id = claims[this.settings.userIdClaim];
    if (this.users === null || id === undefined || id === null) return undefined;
    return this.users.findById(String(id));
  }

  // With checkRevokeToken, a token from before a password change is blacklisted as it is refused.
  async #refuse(claims: JWTClaims, refusal: AuthenticationFailed): Promise<never> {
    if (refusal.code === "password_changed") await this.#ledger?.revoke(claims);
    throw refusal;
  }

  // simplejwt's USER_AUTHENTICATION_RULE at refresh, when a user store is configured.
  async #userRefusal(
    claims: JWTClaims,
    record: UserRecord<unknown> | null | undefined,
  ): Promise<AuthenticationFailed | null> {
    if (record === undefined) return null;
    const s = this.settings;
    if (record === null || (s.checkUserIsActive && !record.isActive)) {
      return new AuthenticationFailed("No active account found for the given token.", "no_active_account");
    }
    if (
      s.checkRevokeToken &&
      claims[s.revokeTokenClaim] !== (await this.revokeTokenValue(record.passwordHash))
    ) {
      return new AuthenticationFailed("The user's password has been changed.", "password_changed");
    }
    return null;
  }

  #sign(claims: JWTClaims): Promise<string> {
    return signCompact(claims, this.#keys);
  }
}
