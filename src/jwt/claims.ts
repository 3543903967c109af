/**
 * simplejwt's claim checks, in its order and with its messages (tokens.py, backends.py with PyJWT).
 * @internal
 */
import type { ResolvedJWTSettings } from "./settings.js";
import type { TokenType } from "./types.js";

/** The claim naming a refresh token's family (rotation lineage); never copied into access tokens. */
export const FAMILY_CLAIM = "family_id";

/** Seconds since the epoch, as simplejwt's `datetime_to_epoch` writes them (integers). */
export function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** A claim time `lifetime` seconds after `at`, in whole seconds as `datetime_to_epoch` truncates. */
export function expiryAfter(at: number, lifetime: number): number {
  return Math.floor(at + lifetime);
}

/** 9999-12-31T23:59:59Z: the last second Python's datetime (and so simplejwt) can represent. */
const MAX_NUMERIC_DATE = 253_402_300_799;
// Negative times are dates before 1970 to PyJWT: a negative `exp` is expired, not malformed.
const isNumericDate = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value <= MAX_NUMERIC_DATE;

/**
 * PyJWT's registered-claim checks during decode. Returns the simplejwt message for a refusal
 * ("Token is expired", "Token is invalid"), or null. Types are strict (no "123" for 123).
 */
export function checkRegistered(
  claims: Record<string, unknown>,
  s: ResolvedJWTSettings,
  at: number,
): string | null {
  const { exp, nbf, iat, aud, iss } = claims;
  if (exp !== undefined && !isNumericDate(exp)) return "Token is invalid";
  if (nbf !== undefined && !isNumericDate(nbf)) return "Token is invalid";
  if (iat !== undefined && !isNumericDate(iat)) return "Token is invalid";
  // PyJWT compares `int(claim)`: a fraction of a second never counts (`exp: now + 0.9` is expired).
  if (exp !== undefined && Math.trunc(exp) <= at - s.leeway) return "Token is expired";
  if (nbf !== undefined && Math.trunc(nbf) > at + s.leeway) return "Token is invalid";
  if (iat !== undefined && Math.trunc(iat) > at + s.leeway) return "Token is invalid";
  if (s.audience !== null) {
    const list = typeof aud === "string" ? [aud] : aud;
    if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === "string"))
      return "Token is invalid";
    if (!list.some((a) => s.audience!.includes(a))) return "Token is invalid";
  }
  if (s.issuer !== null && iss !== s.issuer) return "Token is invalid";
  if (iss !== undefined && typeof iss !== "string") return "Token is invalid";
  return null;
}

/**
 * `Token.verify()` after the blacklist check: exp present, jti present, type present and right.
 * `type` null skips the type check (`UntypedToken`).
 */
export function checkTokenClaims(
  claims: Record<string, unknown>,
  s: ResolvedJWTSettings,
  type: TokenType | null,
  at: number,
): string | null {
  // Own members only: a claim named like an Object.prototype member is absent unless the token has it.
  const exp = Object.hasOwn(claims, "exp") ? claims.exp : undefined;
  if (exp === undefined) return "Token has no 'exp' claim";
  if ((exp as number) <= at - s.leeway) return "Token 'exp' claim has expired";
  if (s.withJti) {
    const jti = Object.hasOwn(claims, s.jtiClaim) ? claims[s.jtiClaim] : undefined;
    if (typeof jti !== "string" || jti === "") return "Token has no id";
  }
  if (type !== null) {
    const actual = Object.hasOwn(claims, s.tokenTypeClaim) ? claims[s.tokenTypeClaim] : undefined;
    if (actual === undefined) return "Token has no type";
    if (actual !== type) return "Token has wrong type";
  }
  return null;
}

/** A fresh jti: 32 lowercase hex characters, exactly simplejwt's `uuid4().hex`. */
export function newJti(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

/** A new token's first claims, in simplejwt's order: token_type, exp, iat, jti (none with `jtiClaim: null`). */
export function newClaims(
  s: ResolvedJWTSettings,
  type: TokenType,
  lifetime: number,
): Record<string, unknown> {
  const at = now();
  const claims: Record<string, unknown> = {};
  claims[s.tokenTypeClaim] = type;
  claims.exp = expiryAfter(at, lifetime);
  claims.iat = at;
  if (s.withJti) claims[s.jtiClaim] = newJti();
  return claims;
}

/** simplejwt's `RefreshToken.access_token`: a new access token with every other refresh claim copied. */
export function accessClaimsFrom(
  s: ResolvedJWTSettings,
  refresh: Record<string, unknown>,
): Record<string, unknown> {
  const access = newClaims(s, "access", s.accessTokenLifetime);
  const skip = new Set([s.tokenTypeClaim, "exp", "iat", s.jtiClaim, "jti", FAMILY_CLAIM]);
  for (const [name, value] of Object.entries(refresh)) if (!skip.has(name)) access[name] = value;
  return access;
}

/**
 * Writes the `claims(user)` hook's result into a new token's claims (simplejwt's `get_token` override).
 * The registered claims and the ones the service writes or reads (`token_type`, the user id, `jti`,
 * `family_id`, `refresh_exp`, the revoke-token claim, under their configured and simplejwt's default
 * names) are refused: a hook that set them could forge a type, an identity or a lifetime.
 *
 * @throws TypeError naming the claim, or when the hook gives no plain object
 */
export function addCustomClaims(
  claims: Record<string, unknown>,
  extra: unknown,
  s: ResolvedJWTSettings,
): void {
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) {
    throw new TypeError("JWTService: the `claims` hook must return an object of claims.");
  }
  const reserved = new Set([
    "exp",
    "iat",
    "nbf",
    "jti",
    "iss",
    "aud",
    // simplejwt's default names too, reserved even when renamed: Django-side code may still read them.
    "token_type",
    "user_id",
    "refresh_exp",
    FAMILY_CLAIM,
    s.tokenTypeClaim,
    s.jtiClaim,
    s.userIdClaim,
    s.slidingTokenRefreshExpClaim,
    s.revokeTokenClaim,
    "__proto__", // would set the claims object's prototype rather than a claim
  ]);
  for (const [name, value] of Object.entries(extra)) {
    if (reserved.has(name)) {
      throw new TypeError(
        `JWTService: the \`claims\` hook may not set "${name}": the service writes (or reads) it itself.`,
      );
    }
    claims[name] = value;
  }
}
