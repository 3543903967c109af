/**
 * simplejwt's SIMPLE_JWT settings, in camelCase, with simplejwt's defaults.
 */
import type { JWK } from "jose";
import { type Duration, parseDuration } from "../core/duration.js";
import type { RevocationStore, UserStore } from "../stores/types.js";
import type { JWTUser, NoCustomClaims, TokenType } from "./types.js";

/**
 * The token types that may authenticate a request (simplejwt's AUTH_TOKEN_CLASSES): see
 * {@link JWTSettings.authTokenTypes}.
 *
 * @example
 * ```ts
 * const types: AuthTokenType[] = ["access", "sliding"];
 * const jwt = new JWTService({ signingKey, authTokenTypes: types });
 * ```
 */
export type AuthTokenType = "access" | "sliding";

/** The signing algorithms portcullis accepts (RFC 7518 §3.1 and RFC 8037). */
export type JWTAlgorithm =
  | "HS256"
  | "HS384"
  | "HS512"
  | "RS256"
  | "RS384"
  | "RS512"
  | "PS256"
  | "PS384"
  | "PS512"
  | "ES256"
  | "ES384"
  | "ES512"
  | "EdDSA";

/** A key: an HMAC secret (text or bytes), a PEM (PKCS#8 private, SPKI public, or X.509), a JWK or a CryptoKey. */
export type JWTKey = string | Uint8Array | CryptoKey | JWK;

/** A further verifying key, selected by the token's `kid` (key rotation). */
export interface JWTVerifyingKey {
  /** Matched against the token header's `kid`. */
  kid: string;
  /** The public key (or, for HS*, the secret). */
  key: JWTKey;
  /** Its algorithm; default the service's `algorithm`. */
  algorithm?: JWTAlgorithm;
}

/**
 * Options of {@link JWTService}: simplejwt's settings in camelCase, plus the stores portcullis uses.
 *
 * @example
 * ```ts
 * const settings: JWTSettings = {
 *   signingKey: process.env.JWT_SECRET!,
 *   accessTokenLifetime: "5m",
 *   refreshTokenLifetime: "1d",
 *   rotateRefreshTokens: true,
 *   blacklistAfterRotation: true,
 *   revocations: new MemoryRevocationStore(),
 * };
 * ```
 * @see https://django-rest-framework-simplejwt.readthedocs.io/en/latest/settings.html
 */
export interface JWTSettings<Claims extends object = NoCustomClaims, User = unknown> {
  /** ACCESS_TOKEN_LIFETIME; default 5 minutes. */
  accessTokenLifetime?: Duration;
  /** REFRESH_TOKEN_LIFETIME; default 1 day. */
  refreshTokenLifetime?: Duration;
  /** ROTATE_REFRESH_TOKENS: `refresh` also returns a new refresh token. Default false. */
  rotateRefreshTokens?: boolean;
  /** BLACKLIST_AFTER_ROTATION: the rotated refresh token is blacklisted. Default false. Needs `revocations`. */
  blacklistAfterRotation?: boolean;
  /**
   * With reuse detection (`rotateRefreshTokens` and `revocations`): for this many seconds after a refresh
   * token was rotated, presenting it again is taken for a duplicate (two tabs, a retried request, another
   * instance) and refused with "Token is blacklisted" without revoking its family; after that it is a
   * replay and revokes the family. Default 5; 0 is strict RFC 9700 (any second use revokes the family).
   * simplejwt has no reuse detection, so no such setting.
   */
  reuseGraceSeconds?: number;
  /**
   * UPDATE_LAST_LOGIN: the obtain endpoints record the login through `users.updateLastLogin` (the
   * service's `users` must have it). Default false.
   */
  updateLastLogin?: boolean;
  /** ALGORITHM; default "HS256". */
  algorithm?: JWTAlgorithm;
  /** SIGNING_KEY: required, no fallback. For HS*, at least as many bytes as the hash output. */
  signingKey: JWTKey;
  /** VERIFYING_KEY: the public key for asymmetric algorithms; default derived from `signingKey`. */
  verifyingKey?: JWTKey;
  /** The `kid` written in the header of tokens signed here, and matched when verifying them. */
  keyId?: string;
  /** More verifying keys, selected by `kid` (rotation). */
  verifyingKeys?: readonly JWTVerifyingKey[];
  /** AUDIENCE: written as `aud`, and required when verifying. */
  audience?: string | readonly string[];
  /** ISSUER: written as `iss`, and required when verifying. */
  issuer?: string;
  /** JWK_URL: verifying keys fetched from a JWK Set (cached, with cooldown). */
  jwkUrl?: string;
  /** LEEWAY in seconds for `exp`, `nbf` and `iat`; default 0. */
  leeway?: Duration;
  /**
   * AUTH_TOKEN_CLASSES: the token types the JWT schemes (and `validate(token)` without a type) accept,
   * tried in this order; default `["access"]`. `["sliding"]` authenticates with sliding tokens, and
   * `["access", "sliding"]` with both. A refresh token never authenticates a request here (simplejwt
   * would allow `RefreshToken` in the list; RFC 9700 keeps refresh tokens for the token endpoint).
   */
  authTokenTypes?: readonly AuthTokenType[];
  /** AUTH_HEADER_TYPES; default ["Bearer"]. */
  authHeaderTypes?: readonly string[];
  /** AUTH_HEADER_NAME; default "authorization". */
  authHeaderName?: string;
  /** USER_ID_CLAIM; default "user_id" (always written as a string). */
  userIdClaim?: string;
  /** TOKEN_TYPE_CLAIM; default "token_type". */
  tokenTypeClaim?: string;
  /**
   * JTI_CLAIM; default "jti". `null` (simplejwt's `JTI_CLAIM = None`) issues tokens without an id and
   * skips the "Token has no id" check; it cannot be combined with `revocations` (the blacklist, rotation
   * with reuse detection and `checkRevokedAccess` name tokens by their jti).
   */
  jtiClaim?: string | null;
  /** SLIDING_TOKEN_REFRESH_EXP_CLAIM; default "refresh_exp". */
  slidingTokenRefreshExpClaim?: string;
  /** SLIDING_TOKEN_LIFETIME; default 5 minutes. */
  slidingTokenLifetime?: Duration;
  /** SLIDING_TOKEN_REFRESH_LIFETIME; default 1 day. */
  slidingTokenRefreshLifetime?: Duration;
  /** CHECK_USER_IS_ACTIVE; default true. */
  checkUserIsActive?: boolean;
  /** CHECK_REVOKE_TOKEN: tokens carry a digest of the stored password hash; default false. */
  checkRevokeToken?: boolean;
  /** REVOKE_TOKEN_CLAIM; default "hash_password". */
  revokeTokenClaim?: string;
  /** Where blacklisted, rotated and outstanding tokens are recorded. */
  revocations?: RevocationStore;
  /** Check access tokens against `revocations` too, so a logout takes effect before they expire. */
  checkRevokedAccess?: boolean;
  /**
   * Sign and verify through node:crypto's synchronous KeyObjects where the runtime has them (default
   * true); false keeps every call on WebCrypto (`crypto.subtle`). Both give the same answers.
   */
  useNodeCrypto?: boolean;
  /**
   * Opt-in: remember this many verified tokens (matched by the whole token, never by a caller-chosen key),
   * so a token seen again skips signature checking. Entries expire with the token's `exp`; every hit
   * still checks the revocation store, the type and the expiry. Each entry keeps the token, a copy of its
   * claims and the last `Authorization` header that carried it: under 1 KB for a usual access token.
   * Default 0 (off).
   */
  verifiedTokenCache?: number;
  /**
   * The user store, given once: `JWTAuthentication` finds each token's user in it, the obtain views of
   * `createJWTHandlers` check the username and password against it (both need it), `refresh` checks the
   * user is still there and active (simplejwt's USER_AUTHENTICATION_RULE), and `checkRevokeToken` reads
   * the stored password hash. `JWTStatelessUserAuthentication` needs none.
   */
  users?: UserStore<User>;
  /**
   * Custom claims (simplejwt's `get_token(user)` override): called with the user each time a refresh/access
   * pair or a sliding token is issued; its result (sync or async) is written into the token. An access
   * token from `refresh` and a rotated refresh token carry the claims of the refresh token they came from,
   * as simplejwt copies them. It may not set a registered or configured claim (`exp`, `iat`, `nbf`, `jti`,
   * `iss`, `aud`, `token_type`, the user id claim, `family_id`, `refresh_exp`, the revoke-token claim):
   * issuing then fails with a TypeError naming the claim. The JWT schemes hand the claims over as `auth`,
   * typed by this function's result.
   *
   * @example
   * ```ts
   * const jwt = new JWTService({
   *   signingKey,
   *   claims: (user) => ({ role: (user.user as AppUser).role, tenant: "acme" }),
   * });
   * ```
   */
  claims?: (user: JWTUser) => Claims | Promise<Claims>;
}

/** Every setting resolved: lifetimes and leeway in seconds. @internal */
export interface ResolvedJWTSettings {
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  rotateRefreshTokens: boolean;
  blacklistAfterRotation: boolean;
  reuseGraceSeconds: number;
  updateLastLogin: boolean;
  algorithm: JWTAlgorithm;
  audience: readonly string[] | null;
  issuer: string | null;
  leeway: number;
  authTokenTypes: readonly TokenType[];
  authHeaderTypes: readonly string[];
  authHeaderName: string;
  userIdClaim: string;
  tokenTypeClaim: string;
  /** The jti claim's name ("jti" when `jtiClaim: null`, where it is neither written nor required). */
  jtiClaim: string;
  /** False with `jtiClaim: null`: tokens are issued without a jti, and none is required. */
  withJti: boolean;
  slidingTokenRefreshExpClaim: string;
  slidingTokenLifetime: number;
  slidingTokenRefreshLifetime: number;
  checkUserIsActive: boolean;
  checkRevokeToken: boolean;
  revokeTokenClaim: string;
  checkRevokedAccess: boolean;
}

/** Fills in simplejwt's defaults and refuses combinations that cannot work. @internal */
export function resolveSettings(settings: JWTSettings<object>): ResolvedJWTSettings {
  if (settings.signingKey === undefined || settings.signingKey === null || settings.signingKey === "") {
    throw new TypeError("JWTService needs a `signingKey` (simplejwt's SIGNING_KEY); there is no fallback.");
  }
  if (settings.jtiClaim === null) {
    // simplejwt would issue them and then fail to blacklist (OutstandingToken needs a jti), and its
    // rotation writes a new jti under the claim name None: refuse now.
    const needsJti = settings.revocations
      ? "a `revocations` store"
      : settings.blacklistAfterRotation
        ? "`blacklistAfterRotation`"
        : settings.checkRevokedAccess
          ? "`checkRevokedAccess`"
          : settings.rotateRefreshTokens
            ? "`rotateRefreshTokens`"
            : null;
    if (needsJti !== null) {
      throw new TypeError(
        `JWTService: \`jtiClaim: null\` issues tokens without a jti, but ${needsJti} names tokens by their jti ` +
          "(blacklist, rotation, revoked access tokens). Set `jtiClaim`, or leave that setting off.",
      );
    }
  } else if (
    settings.jtiClaim !== undefined &&
    (typeof settings.jtiClaim !== "string" || settings.jtiClaim === "")
  ) {
    throw new TypeError("JWTService: `jtiClaim` is a claim name, or null for tokens without a jti.");
  }
  const needsStore = (name: string) =>
    new TypeError(
      `JWTService: \`${name}\` needs a \`revocations\` store (simplejwt would silently skip it: #985).`,
    );
  if (settings.blacklistAfterRotation && !settings.revocations) throw needsStore("blacklistAfterRotation");
  if (settings.checkRevokedAccess && !settings.revocations) throw needsStore("checkRevokedAccess");
  if (settings.checkRevokeToken && !settings.users) {
    throw new TypeError("JWTService: `checkRevokeToken` needs `users` to read the stored password hash.");
  }
  const audience =
    settings.audience === undefined
      ? null
      : typeof settings.audience === "string"
        ? [settings.audience]
        : settings.audience;
  // An empty list would be written as `aud: []`, which no verifier (this one included) accepts.
  if (
    audience !== null &&
    (!Array.isArray(audience) || audience.length === 0 || audience.some((aud) => typeof aud !== "string"))
  ) {
    throw new TypeError("JWTService: `audience` is a string or a non-empty list of strings.");
  }
  return {
    accessTokenLifetime: parseDuration(settings.accessTokenLifetime ?? "5m", "accessTokenLifetime"),
    refreshTokenLifetime: parseDuration(settings.refreshTokenLifetime ?? "1d", "refreshTokenLifetime"),
    rotateRefreshTokens: settings.rotateRefreshTokens ?? false,
    blacklistAfterRotation: settings.blacklistAfterRotation ?? false,
    reuseGraceSeconds: parseDuration(settings.reuseGraceSeconds ?? 5, "reuseGraceSeconds"),
    updateLastLogin: settings.updateLastLogin ?? false,
    algorithm: settings.algorithm ?? "HS256",
    audience,
    issuer: settings.issuer ?? null,
    leeway: parseDuration(settings.leeway ?? 0, "leeway"),
    authTokenTypes: authTokenTypes(settings.authTokenTypes),
    authHeaderTypes: settings.authHeaderTypes ?? ["Bearer"],
    authHeaderName: settings.authHeaderName ?? "authorization",
    userIdClaim: settings.userIdClaim ?? "user_id",
    tokenTypeClaim: settings.tokenTypeClaim ?? "token_type",
    jtiClaim: settings.jtiClaim ?? "jti",
    withJti: settings.jtiClaim !== null,
    slidingTokenRefreshExpClaim: settings.slidingTokenRefreshExpClaim ?? "refresh_exp",
    slidingTokenLifetime: parseDuration(settings.slidingTokenLifetime ?? "5m", "slidingTokenLifetime"),
    slidingTokenRefreshLifetime: parseDuration(
      settings.slidingTokenRefreshLifetime ?? "1d",
      "slidingTokenRefreshLifetime",
    ),
    checkUserIsActive: settings.checkUserIsActive ?? true,
    checkRevokeToken: settings.checkRevokeToken ?? false,
    revokeTokenClaim: settings.revokeTokenClaim ?? "hash_password",
    checkRevokedAccess: settings.checkRevokedAccess ?? false,
  };
}

// AUTH_TOKEN_CLASSES as a non-empty list of "access" and "sliding", each once, in the order given.
function authTokenTypes(types: readonly AuthTokenType[] | undefined): readonly TokenType[] {
  if (types === undefined) return ["access"];
  if (
    !Array.isArray(types) ||
    types.length === 0 ||
    types.some((type) => type !== "access" && type !== "sliding")
  ) {
    throw new TypeError(
      'JWTService: `authTokenTypes` is a non-empty list of "access" and "sliding" (a refresh token never authenticates a request).',
    );
  }
  return [...new Set(types)];
}
