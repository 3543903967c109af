/**
 * The token validation pipeline, in simplejwt's `Token.__init__` then `Token.verify()` order: signature and
 * PyJWT's registered claims (or a cache hit), the blacklist, then exp, jti and type.
 * @internal
 */
import type { RevocationStore } from "../stores/types.js";
import type { VerifiedTokenCache } from "./cache.js";
import { checkRegistered, checkTokenClaims, now } from "./claims.js";
import { InvalidToken } from "./errors.js";
import { type VerifiedJWS, verifyCompact } from "./jws.js";
import type { KeyRing } from "./keys.js";
import type { ResolvedJWTSettings } from "./settings.js";
import type { JWTClaims, TokenType } from "./types.js";

/** What the pipeline reads from its service; built once, in the service's constructor. */
export interface TokenValidation {
  readonly settings: ResolvedJWTSettings;
  readonly keys: KeyRing;
  readonly revocations: RevocationStore | null;
  readonly cache: VerifiedTokenCache | null;
}

/**
 * Validates a token as simplejwt's `Token(token)` does (see `JWTService.validate`).
 */
export async function validateToken(
  v: TokenValidation,
  token: string,
  type: TokenType | null,
  checkBlacklist: boolean,
): Promise<JWTClaims> {
  const at = now();
  let claims = v.cache?.get(token, at);
  if (claims === undefined) {
    // The performance seam: node:crypto verifies at once, WebCrypto or a JWK Set with a promise.
    const verified = verifyCompact(token, v.keys);
    claims = registered(v, token, verified instanceof Promise ? await verified : verified, at);
  }
  // simplejwt's Token.verify(): the blacklist (refresh and sliding tokens; access tokens too with
  // checkRevokedAccess), then exp, jti and type.
  const s = v.settings;
  const store = v.revocations;
  const jti = claims[s.jtiClaim];
  if (
    checkBlacklist &&
    store !== null &&
    typeof jti === "string" &&
    (type === "refresh" || type === "sliding" || (type === "access" && s.checkRevokedAccess)) &&
    (await store.isRevoked(jti))
  ) {
    throw new InvalidToken("Token is blacklisted");
  }
  const problem = checkTokenClaims(claims, s, type, at);
  if (problem !== null) throw new InvalidToken(problem);
  return claims;
}

// PyJWT's decode checks on a verified token; the verdict is remembered when the cache is on.
function registered(v: TokenValidation, token: string, verified: VerifiedJWS | null, at: number): JWTClaims {
  if (verified === null) throw new InvalidToken("Token is invalid");
  const problem = checkRegistered(verified.claims, v.settings, at);
  if (problem !== null) throw new InvalidToken(problem);
  v.cache?.set(token, verified.claims);
  return verified.claims;
}

/** simplejwt's token class names, for the `messages` of a refused token. */
const TOKEN_CLASS: Record<TokenType, string> = {
  access: "AccessToken",
  refresh: "RefreshToken",
  sliding: "SlidingToken",
};

/**
 * simplejwt's `JWTAuthentication.get_validated_token`: the token tried as each of `authTokenTypes` in
 * turn; the first that accepts it wins. When none does: InvalidToken "Given token not valid for any token
 * type" with one `messages` entry per type, and the first refusal as its cause.
 */
export async function validateAuthToken(v: TokenValidation, token: string): Promise<JWTClaims> {
  const types = v.settings.authTokenTypes;
  const refusals: InvalidToken[] = [];
  for (const type of types) {
    try {
      return await validateToken(v, token, type, true);
    } catch (error) {
      if (!(error instanceof InvalidToken)) throw error; // a store that could not answer is no refusal
      refusals.push(error);
    }
  }
  const messages = refusals.map((refusal, n) => ({
    token_class: TOKEN_CLASS[types[n]!],
    token_type: types[n]!,
    message: refusal.detail,
  }));
  throw new InvalidToken("Given token not valid for any token type", { cause: refusals[0], messages });
}
