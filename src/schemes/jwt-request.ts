/**
 * What both JWT schemes share: simplejwt's get_header, get_raw_token and get_validated_token, the
 * user id claim, the challenge and RFC 6750's error on a refused token.
 * @internal
 */
import { readAuthorization, usualAuthorization } from "../core/authorization.js";
import { AuthenticationFailed } from "../core/errors.js";
import type { AuthRequest } from "../core/scheme.js";
import { InvalidToken } from "../jwt/errors.js";
import type { JWTService } from "../jwt/service.js";
import type { JWTClaims } from "../jwt/types.js";

/** The challenge for a 401: `Bearer realm="api"` (the first header type). @internal */
export function challenge(jwt: JWTService<object>): string {
  return `${jwt.settings.authHeaderTypes[0]} realm="api"`;
}

// RFC 6750 §3: the challenge after a refused token.
function invalidTokenChallenge(jwt: JWTService<object>, detail: string): string {
  const description = detail.replace(/[\\"]/g, "\\$&");
  return `${challenge(jwt)}, error="invalid_token", error_description="${description}"`;
}

function invalidToken(
  jwt: JWTService<object>,
  detail: string,
  options: ConstructorParameters<typeof InvalidToken>[1] = {},
) {
  return new InvalidToken(detail, { ...options, wwwAuthenticate: invalidTokenChallenge(jwt, detail) });
}

// simplejwt's get_header + get_raw_token + get_validated_token: the claims, or null without a Bearer header.
export async function validatedToken(
  jwt: JWTService<object>,
  usual: UsualReader,
  request: AuthRequest,
): Promise<JWTClaims | null> {
  const token = usual(request) ?? rawToken(jwt, request);
  if (token === null) return null;
  try {
    return await jwt.validate(token); // as each of authTokenTypes
  } catch (error) {
    throw refusal(jwt, error);
  }
}

/** Reads the usual Bearer header, or answers null. @internal */
export type UsualReader = (request: AuthRequest) => string | null;

// The usual header: a configured type, one space and a compact JWS (base64url and dots).
export function usualBearer(jwt: JWTService<object>): UsualReader {
  const s = jwt.settings;
  return usualAuthorization(s.authHeaderTypes, "A-Za-z0-9_.-", s.authHeaderName);
}

// simplejwt's get_raw_token: the one credential after a configured type, null without one.
function rawToken(jwt: JWTService<object>, request: AuthRequest): string | null {
  const s = jwt.settings;
  let parsed: ReturnType<typeof readAuthorization>;
  try {
    parsed = readAuthorization(request, s.authHeaderTypes, s.authHeaderName);
  } catch (error) {
    // A header of a configured type over 8 KiB (the reader's only error) fails before parsing as every
    // scheme's does (AuthenticationFailed, authentication_failed), with RFC 6750's invalid_token
    // challenge. A foreign one was null.
    if (!(error instanceof AuthenticationFailed)) throw error;
    throw new AuthenticationFailed(error.detail, error.code, {
      wwwAuthenticate: invalidTokenChallenge(jwt, error.detail),
    });
  }
  if (parsed === null) return null;
  if (parsed.credentials.length !== 1) {
    throw new AuthenticationFailed(
      "Authorization header must contain two space-delimited values",
      "bad_authorization_header",
    );
  }
  return parsed.credentials[0]!;
}

// simplejwt's answer to a refused token ("Given token not valid for any token type", with a message per
// type of authTokenTypes), with RFC 6750's challenge; any other error goes on as it is.
function refusal(jwt: JWTService<object>, error: unknown): unknown {
  if (!(error instanceof InvalidToken)) return error;
  const options =
    error.messages === undefined ? { cause: error } : { cause: error.cause, messages: error.messages };
  return invalidToken(jwt, error.detail, options);
}

// simplejwt: a missing claim is "no recognizable user identification"; a claim that names nobody (null,
// an object) is looked up and not found.
export function userIdOf(jwt: JWTService<object>, claims: JWTClaims): string | null {
  if (!Object.hasOwn(claims, jwt.settings.userIdClaim)) {
    throw invalidToken(jwt, "Token contained no recognizable user identification");
  }
  const id = claims[jwt.settings.userIdClaim];
  return typeof id === "string" || typeof id === "number" ? String(id) : null;
}
