/**
 * simplejwt's token views as Fetch handlers: TokenObtainPairView, TokenRefreshView, TokenVerifyView,
 * TokenBlacklistView, TokenObtainSlidingView and TokenRefreshSlidingView over a {@link JWTService}.
 */
import { AuthError } from "../core/errors.js";
import type { AuthEvents } from "../core/events.js";
import { InvalidToken } from "../jwt/errors.js";
import { type JWTService, serviceUsers } from "../jwt/service.js";
import type { PasswordOptions } from "../passwords/hash.js";
import type { UserRecord } from "../stores/types.js";
import type { Lockout } from "../throttling/lockout.js";
import { parseBody } from "./body.js";
import { badRequest, type CharFieldSpec, NON_FIELD_ERRORS, validateFields } from "./fields.js";
import { type EndpointHandler, jsonResponse, postOnly } from "./http.js";
import { readLogin } from "./login.js";

/**
 * Options for {@link createJWTHandlers}. The users come from the service: `obtainPair` and
 * `obtainSliding` look the username up and check the password in its `users` store, the one `refresh`
 * checks the user with.
 */
export interface JWTHandlersOptions {
  /** Emits `loginSucceeded` / `loginFailed` (`via: "obtainPair"` or `"obtainSliding"`). */
  events?: AuthEvents;
  /** The configured password hashing (for verification, the dummy hash and upgrades at login). */
  passwords?: PasswordOptions;
  /**
   * Refuses a client's logins for a cool-off after too many failures: 429 with DRF's throttled body
   * and `Retry-After`, at the cost of a wrong password.
   */
  lockout?: Lockout;
}

/** The six handlers: simplejwt's views, one each. Mount them at the paths simplejwt's docs use. */
export interface JWTHandlers {
  /** `TokenObtainPairView` (`api/token/`): `{username, password}` → 200 `{"refresh", "access"}`. */
  obtainPair: EndpointHandler;
  /** `TokenRefreshView` (`api/token/refresh/`): `{refresh}` → 200 `{"access"}` (+ `"refresh"` when rotating). */
  refresh: EndpointHandler;
  /** `TokenVerifyView` (`api/token/verify/`): `{token}` → 200 `{}`. */
  verify: EndpointHandler;
  /** `TokenBlacklistView` (`api/token/blacklist/`): `{refresh}` → 200 `{}`; needs a revocation store. */
  blacklist: EndpointHandler;
  /** `TokenObtainSlidingView`: `{username, password}` → 200 `{"token"}`. */
  obtainSliding: EndpointHandler;
  /** `TokenRefreshSlidingView`: `{token}` → 200 `{"token"}`. */
  refreshSliding: EndpointHandler;
}

/** `TokenObtainSerializer.default_error_messages["no_active_account"]`. */
const NO_ACTIVE_ACCOUNT = "No active account found with the given credentials";
const BLACKLISTED = "Token is blacklisted";
const NO_STORE = { "Cache-Control": "no-store" };
const TOKEN_FIELD: CharFieldSpec = {};

/**
 * simplejwt's six token views as Fetch handlers `(request: Request) => Promise<Response>`, with
 * simplejwt's bodies and statuses. Build them once, at start-up.
 *
 * - `obtainPair` / `obtainSliding`: `POST {"username", "password"}` → 200 `{"refresh", "access"}` /
 *   `{"token"}`; an unknown user, a wrong password or an inactive user → 401
 *   `{"detail": "No active account found with the given credentials"}` (one password hash whatever happens).
 * - `refresh`: `POST {"refresh"}` → 200 `{"access"}`, or `{"access", "refresh"}` with `rotateRefreshTokens`.
 * - `verify`: `POST {"token"}` → 200 `{}`; a blacklisted token → 400 `{"non_field_errors": ["Token is blacklisted"]}`.
 * - `blacklist`: `POST {"refresh"}` → 200 `{}`.
 * - `refreshSliding`: `POST {"token"}` → 200 `{"token"}`.
 * - A refused token → 401 `{"detail": "Token is expired", "code": "token_not_valid"}` (simplejwt's
 *   `InvalidToken`); refresh for a missing or inactive user → 401
 *   `{"detail": "No active account found for the given token."}` (DRF's `AuthenticationFailed`: no `code`).
 *
 * Every 401 carries `WWW-Authenticate: Bearer realm="api"` (simplejwt's `TokenViewBase`, first of
 * `authHeaderTypes`); every answer carries `Allow: POST, OPTIONS`; answers carrying tokens carry
 * `Cache-Control: no-store`. Bodies, methods, sizes and field errors follow the other endpoints: JSON,
 * urlencoded or multipart; 405, 413, 415; 400 `{"refresh": ["This field is required."]}`.
 *
 * A store that cannot be asked (`StoreUnavailable`) is answered 503 with `Retry-After`; any other failing
 * store or hasher makes the promise reject (let the server answer 500); so does `blacklist` on a
 * service without a `revocations` store (the `TypeError` of `JWTService.blacklist`: a misconfiguration).
 *
 * @param jwt - the token service, with the `users` store the obtain views and `refresh` read
 * @param options - events and password options
 * @returns the six handlers
 * @throws TypeError for a service without `users`, for a `users` option (it belongs to the service), or
 *   with `updateLastLogin` for a store without `updateLastLogin`
 * @example
 * ```ts
 * const jwt = new JWTService({ signingKey: process.env.JWT_SECRET!, users });
 * const api = createJWTHandlers(jwt, { events });
 * const routes: Record<string, EndpointHandler> = {
 *   "/api/token/": api.obtainPair,
 *   "/api/token/refresh/": api.refresh,
 *   "/api/token/verify/": api.verify,
 *   "/api/token/blacklist/": api.blacklist,
 * };
 * Deno.serve((request) => routes[new URL(request.url).pathname]?.(request) ?? app(request));
 *
 * // Next.js, app/api/token/refresh/route.ts:
 * export const POST = api.refresh;
 * ```
 * @see https://django-rest-framework-simplejwt.readthedocs.io/en/latest/getting_started.html
 */
export function createJWTHandlers<User>(
  jwt: JWTService<object, User>,
  options: JWTHandlersOptions = {},
): JWTHandlers {
  const users = serviceUsers(jwt, options, "createJWTHandlers");
  const { events, passwords, lockout } = options;
  if (jwt.settings.updateLastLogin && typeof users.updateLastLogin !== "function") {
    throw new TypeError(
      "updateLastLogin needs a UserStore with `updateLastLogin` as the JWTService's `users`.",
    );
  }
  const challenge = `${jwt.settings.authHeaderTypes[0]} realm="api"`;
  const refused = () => jsonResponse(401, { detail: NO_ACTIVE_ACCOUNT }, { "WWW-Authenticate": challenge });

  // TokenObtainSerializer: authenticate(), USER_AUTHENTICATION_RULE, then the view's tokens.
  const obtain = (via: string, issue: (record: UserRecord<User>) => Promise<object>): EndpointHandler =>
    postOnly(async (request, client) => {
      const login = await readLogin(request, client, { users, passwords, events, via, refused, lockout });
      if (login instanceof Response) return login;
      const body = await issue(login.record);
      // simplejwt's ON_LOGIN_SUCCESS with UPDATE_LAST_LOGIN: Django's update_last_login.
      if (jwt.settings.updateLastLogin) await users.updateLastLogin!(login.record.id, new Date());
      events?.emit("loginSucceeded", { record: login.record, via });
      return jsonResponse(200, body, NO_STORE);
    });

  // TokenViewBase.post with a one-field serializer: field errors 400, TokenError → InvalidToken 401.
  const tokenView = (field: string, answer: (token: string) => Promise<Response>): EndpointHandler =>
    postOnly(async (request) => {
      const body = await parseBody(request);
      if (body instanceof Response) return body;
      const values = validateFields(body, { [field]: TOKEN_FIELD });
      if (values instanceof Response) return values;
      try {
        return await answer(values[field]!);
      } catch (error) {
        return refusal(error, challenge);
      }
    });

  return {
    obtainPair: obtain("obtainPair", async (record) => {
      const { refresh, access } = await jwt.obtainPair(record);
      return { refresh, access };
    }),
    refresh: tokenView("refresh", async (token) => {
      const { access, refresh } = await jwt.refresh(token);
      return jsonResponse(200, refresh === undefined ? { access } : { access, refresh }, NO_STORE);
    }),
    verify: tokenView("token", async (token) => {
      try {
        await jwt.verify(token);
      } catch (error) {
        // TokenVerifySerializer raises ValidationError("Token is blacklisted").
        if (error instanceof InvalidToken && error.detail === BLACKLISTED) {
          return badRequest({ [NON_FIELD_ERRORS]: [BLACKLISTED] });
        }
        throw error;
      }
      return jsonResponse(200, {});
    }),
    blacklist: tokenView("refresh", async (token) => {
      await jwt.blacklist(token);
      return jsonResponse(200, {});
    }),
    obtainSliding: obtain("obtainSliding", async (record) => ({ token: await jwt.obtainSliding(record) })),
    refreshSliding: tokenView("token", async (token) =>
      jsonResponse(200, { token: await jwt.refreshSliding(token) }, NO_STORE),
    ),
  };
}

/**
 * DRF's exception handler for a view whose first authenticator answers `challenge`: simplejwt's
 * `InvalidToken` keeps `{"detail", "code"}` (its DetailDictMixin), DRF's own exceptions send `detail`
 * only. Anything that is not an AuthError is not the client's fault: it propagates.
 */
function refusal(error: unknown, challenge: string): Response {
  if (!(error instanceof AuthError)) throw error;
  const body =
    error instanceof InvalidToken
      ? { detail: error.detail, code: error.code, ...error.extra }
      : { detail: error.detail };
  return jsonResponse(error.status, body, error.status === 401 ? { "WWW-Authenticate": challenge } : {});
}
