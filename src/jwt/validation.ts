/**
 * The token validation pipeline, in simplejwt's `Token.__init__` then `Token.verify()` order: signature and
 * PyJWT's registered claims (or a cache hit), the blacklist, then exp, jti and type.
 * @internal
 */
import { andThen, callSync, type MaybePromise } from "../core/sync-path.js";
import type { RevocationStore } from "../stores/types.js";
import type { VerifiedTokenCache } from "./cache.js";
import { checkRegistered, checkTokenClaims, now, type TokenType } from "./claims.js";
import { InvalidToken } from "./errors.js";
import { type VerifiedJWS, verifyCompact } from "./jws.js";
import type { KeyRing } from "./keys.js";
import type { ResolvedJWTSettings } from "./settings.js";
import type { JWTClaims } from "./types.js";

/** What the pipeline reads from its service; built once, in the service's constructor. */
export interface TokenValidation {
  readonly settings: ResolvedJWTSettings;
  readonly keys: KeyRing;
  readonly revocations: RevocationStore | null;
  readonly cache: VerifiedTokenCache | null;
}

/**
 * Validates a token as simplejwt's `Token(token)` does (see `JWTService.validate`).
 * Synchronous where node:crypto answers at once; a promise only where WebCrypto, a JWK Set or a store must.
 */
export function validateToken(
  v: TokenValidation,
  token: string,
  type: TokenType | null,
  checkBlacklist: boolean,
): MaybePromise<JWTClaims> {
  const at = now();
  const cached = v.cache?.get(token, at);
  if (cached !== undefined) return verifyToken(v, cached, type, checkBlacklist, at);
  const verified = verifyCompact(token, v.keys);
  if (verified instanceof Promise) {
    return verified.then((jws) => verifyToken(v, registered(v, token, jws, at), type, checkBlacklist, at));
  }
  return verifyToken(v, registered(v, token, verified, at), type, checkBlacklist, at);
}

// PyJWT's decode checks on a verified token; the verdict is remembered when the cache is on.
function registered(v: TokenValidation, token: string, verified: VerifiedJWS | null, at: number): JWTClaims {
  if (verified === null) throw new InvalidToken("Token is invalid");
  const problem = checkRegistered(verified.claims, v.settings, at);
  if (problem !== null) throw new InvalidToken(problem);
  v.cache?.set(token, verified.claims);
  return verified.claims;
}

// simplejwt's Token.verify(): the blacklist (refresh and sliding tokens; access tokens too with
// checkRevokedAccess), then exp, jti and type.
function verifyToken(
  v: TokenValidation,
  claims: JWTClaims,
  type: TokenType | null,
  checkBlacklist: boolean,
  at: number,
): MaybePromise<JWTClaims> {
  const store = v.revocations;
  const s = v.settings;
  const jti = claims[s.jtiClaim];
  if (
    checkBlacklist &&
    store !== null &&
    typeof jti === "string" &&
    (type === "refresh" || type === "sliding" || (type === "access" && s.checkRevokedAccess))
  ) {
    return andThen(callSync(store, store.isRevoked, jti), (revoked) => {
      if (revoked) throw new InvalidToken("Token is blacklisted");
      return checkType(s, claims, type, at);
    });
  }
  return checkType(s, claims, type, at);
}

function checkType(s: ResolvedJWTSettings, claims: JWTClaims, type: TokenType | null, at: number): JWTClaims {
  const problem = checkTokenClaims(claims, s, type, at);
  if (problem !== null) throw new InvalidToken(problem);
  return claims;
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
export function validateAuthToken(v: TokenValidation, token: string): MaybePromise<JWTClaims> {
  return tryAs(v, token, 0, []);
}

function tryAs(
  v: TokenValidation,
  token: string,
  i: number,
  refusals: readonly InvalidToken[],
): MaybePromise<JWTClaims> {
  const type = v.settings.authTokenTypes[i]!;
  let claims: MaybePromise<JWTClaims>;
  try {
    claims = validateToken(v, token, type, true);
  } catch (error) {
    return next(v, token, i, refusals, error);
  }
  if (typeof (claims as PromiseLike<JWTClaims>).then !== "function") return claims;
  return Promise.resolve(claims).then(undefined, (error: unknown) => next(v, token, i, refusals, error));
}

function next(
  v: TokenValidation,
  token: string,
  i: number,
  refusals: readonly InvalidToken[],
  error: unknown,
): MaybePromise<JWTClaims> {
  if (!(error instanceof InvalidToken)) throw error; // a store that could not answer is no refusal
  const all = [...refusals, error];
  const types = v.settings.authTokenTypes;
  if (i + 1 < types.length) return tryAs(v, token, i + 1, all);
  const messages = all.map((refusal, n) => ({
    token_class: TOKEN_CLASS[types[n]!],
    token_type: types[n]!,
    message: refusal.detail,
  }));
  throw new InvalidToken("Given token not valid for any token type", { cause: all[0], messages });
}
