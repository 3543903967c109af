/**
 * knox's LoginView, LogoutView and LogoutAllView as Fetch handlers: per-device tokens with an expiry.
 */
import { type Duration, parseDuration } from "../core/duration.js";
import { PermissionDenied } from "../core/errors.js";
import type { AuthEvents } from "../core/events.js";
import { toResponse } from "../core/response.js";
import { type AuthSuccess, authenticate } from "../core/runner.js";
import type { BaseAuthentication } from "../core/scheme.js";
import type { PasswordOptions } from "../passwords/hash.js";
import type { TokenRecord, TokenStore, UserStore } from "../stores/types.js";
import type { Lockout } from "../throttling/lockout.js";
import {
  checkTokenLimit,
  checkTokenPrefix,
  DEFAULT_TOKEN_PREFIX,
  type IssuedToken,
  issueToken,
  revokeAllTokens,
} from "../tokens/issue.js";
import { detailResponse, type EndpointHandler, jsonResponse, postOnly } from "./http.js";
import { readLogin } from "./login.js";

/** Options for {@link tokenLogin}. */
export interface TokenLoginOptions<User = unknown> {
  /** Where the username is looked up and the password checked. */
  users: UserStore<User>;
  /** Where the new token's digest is saved. */
  tokens: TokenStore;
  /** Emits `loginSucceeded` / `loginFailed` (`via: "tokenLogin"`) and `tokenIssued`. */
  events?: AuthEvents;
  /** The configured password hashing (for verification, the dummy hash and upgrades at login). */
  passwords?: PasswordOptions;
  /**
   * Refuses a client's logins for a cool-off after too many failures: 429 with DRF's throttled body
   * and `Retry-After`, at the cost of a wrong password.
   */
  lockout?: Lockout;
  /** Token lifetime (knox's TOKEN_TTL): seconds or "10h", "30d"… Default: never expire (`expiry: null`). */
  ttl?: Duration | null;
  /** Refuse a login (403) when the user already has this many unexpired tokens (TOKEN_LIMIT_PER_USER). */
  maxTokensPerUser?: number | null;
  /** Token prefix (knox's TOKEN_PREFIX): up to 16 of [A-Za-z0-9_-]. Default `"pct_"`. */
  prefix?: string;
}

/** Options for {@link tokenLogout} and {@link tokenLogoutAll}. */
export interface TokenLogoutOptions {
  /** The scheme that authenticates the logout request: a `TokenAuthentication` over `tokens`. */
  auth: BaseAuthentication<unknown, TokenRecord>;
  /** The store the scheme reads; the presented token (or all the user's tokens) is deleted from it. */
  tokens: TokenStore;
  /** Emits `tokenRevoked` for each deleted token. */
  events?: AuthEvents;
}

/** The optional device label (knox has none; portcullis stores it as `TokenRecord.name`). */
const NAME_FIELD = { name: { required: false, allowNull: true, allowBlank: true, maxLength: 64 } } as const;

/**
 * knox's `LoginView` with a username and password in the body (knox's documented `AuthTokenSerializer`
 * override): `POST {"username", "password", "name"?}` → 200 `{"expiry": "2026-11-28T14:32:00.000Z" | null,
 * "token": "pct_…"}`. `name` (optional, up to 64 characters, blank = none) labels the device and is
 * stored in `TokenRecord.name`.
 *
 * Answers, besides the login errors of {@link obtainAuthToken} (400 bad credentials, field errors,
 * 413/415, 405): 403 `{"detail": "Maximum amount of tokens allowed per user exceeded."}` when
 * `maxTokensPerUser` unexpired tokens exist. Each login issues a new token, as knox does.
 *
 * A store that cannot be asked (`StoreUnavailable`) is answered 503 with `Retry-After`; any other failure
 * makes the returned promise reject: let the server answer 500.
 *
 * @param options - stores, and optionally events, password options, ttl, per-user limit and prefix
 * @returns the handler `(request: Request) => Promise<Response>`
 * @throws TypeError for a missing store; RangeError for a bad `ttl`, `maxTokensPerUser` or `prefix`
 * @example
 * ```ts
 * const login = tokenLogin({ users, tokens, ttl: "10h", maxTokensPerUser: 5 });
 * // app/api/auth/login/route.ts (Next.js)
 * export const POST = login;
 * ```
 * @see https://jazzband.github.io/django-rest-knox/views/
 */
export function tokenLogin<User>(options: TokenLoginOptions<User>): EndpointHandler {
  if (!options.users || !options.tokens) throw new TypeError("tokenLogin needs `users` and `tokens`.");
  const { users, tokens, events, passwords, lockout } = options;
  const prefix = checkTokenPrefix(options.prefix ?? DEFAULT_TOKEN_PREFIX);
  const ttl = options.ttl == null ? null : parseDuration(options.ttl, "ttl");
  const maxTokensPerUser = checkTokenLimit(options.maxTokensPerUser);
  const via = "tokenLogin";

  return postOnly(async (request, client) => {
    const login = await readLogin(request, client, { users, passwords, events, via, lockout }, NAME_FIELD);
    if (login instanceof Response) return login;
    let issued: IssuedToken;
    try {
      issued = await issueToken(tokens, login.record.id, {
        ttl,
        name: login.fields.name || null,
        prefix,
        maxTokensPerUser,
        events,
      });
    } catch (error) {
      if (error instanceof PermissionDenied && error.code === "token_limit_exceeded") {
        return detailResponse(403, error.detail);
      }
      throw error;
    }
    events?.emit("loginSucceeded", { record: login.record, via });
    const expiry = issued.record.expiresAt?.toISOString() ?? null;
    return jsonResponse(200, { expiry, token: issued.token }, { "Cache-Control": "no-store" });
  });
}

/**
 * knox's `LogoutView`: `POST` with `Authorization: Token <token>` deletes that token → 204, no body.
 * Without a valid token: the scheme's 401 (`WWW-Authenticate: Token`, `{"detail", "code"}`). The body is
 * ignored. Emits `tokenRevoked`.
 *
 * @param options - the token scheme, its store, and optionally events
 * @returns the handler `(request: Request) => Promise<Response>`
 * @throws TypeError for a missing `auth` or `tokens`
 * @example
 * ```ts
 * const auth = new TokenAuthentication({ tokens, users });
 * const logout = tokenLogout({ auth, tokens, events });
 * Bun.serve({ routes: { "/api/auth/logout/": { POST: logout } }, fetch: app });
 * ```
 * @see https://jazzband.github.io/django-rest-knox/views/#logoutview
 */
export function tokenLogout(options: TokenLogoutOptions): EndpointHandler {
  const { auth, tokens, events } = logoutOptions(options, "tokenLogout");
  return postOnly(async (request) => {
    const result = await authenticate(request, [auth]);
    if (result.outcome !== "success") return toResponse(result)!;
    const record = presentedToken(result);
    if (await tokens.delete(record.digest)) events?.emit("tokenRevoked", { record });
    return new Response(null, { status: 204 });
  });
}

/**
 * knox's `LogoutAllView`: `POST` with `Authorization: Token <token>` deletes every token of that token's
 * user (all devices) → 204, no body. Other users' tokens are untouched. Without a valid token: the
 * scheme's 401. Emits `tokenRevoked` for each token.
 *
 * @param options - the token scheme, its store, and optionally events
 * @returns the handler `(request: Request) => Promise<Response>`
 * @throws TypeError for a missing `auth` or `tokens`
 * @example
 * ```ts
 * const logoutAll = tokenLogoutAll({ auth, tokens, events });
 * // app/api/auth/logoutall/route.ts (Next.js)
 * export const POST = logoutAll;
 * ```
 * @see https://jazzband.github.io/django-rest-knox/views/#logoutallview
 */
export function tokenLogoutAll(options: TokenLogoutOptions): EndpointHandler {
  const { auth, tokens, events } = logoutOptions(options, "tokenLogoutAll");
  return postOnly(async (request) => {
    const result = await authenticate(request, [auth]);
    if (result.outcome !== "success") return toResponse(result)!;
    await revokeAllTokens(tokens, presentedToken(result).userId, events ? { events } : {});
    return new Response(null, { status: 204 });
  });
}

function logoutOptions(options: TokenLogoutOptions, name: string): TokenLogoutOptions {
  if (!options.auth || !options.tokens) throw new TypeError(`${name} needs \`auth\` and \`tokens\`.`);
  return { ...options };
}

// The scheme promised a TokenRecord; a scheme that breaks the promise is a bug, not a client error.
function presentedToken(result: AuthSuccess<unknown>): TokenRecord {
  const record = result.auth as Partial<TokenRecord> | null;
  if (typeof record?.digest !== "string" || typeof record.userId !== "string") {
    throw new TypeError(`The "${result.scheme}" scheme did not return a TokenRecord as \`auth\`.`);
  }
  return record as TokenRecord;
}
