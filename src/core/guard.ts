/**
 * What every adapter does with a request, in one place: run the schemes, apply `required`, and turn
 * the outcome into "let it through with this user" or "answer with this status, headers and body".
 */

import { NotAuthenticated } from "./errors.js";
import { checkPermissions, type Permission } from "./permissions.js";
import {
  type ErrorResponseParts,
  errorParts,
  errorResponseParts,
  routeChallenge,
  serverError,
} from "./response.js";
import { type AuthResult, type AuthSuccess, authenticate } from "./runner.js";
import type { AuthRequest, BaseAuthentication } from "./scheme.js";
import { checkThrottles, clientIdent, type Throttle, type ThrottleContext } from "./throttle.js";

/**
 * Options for an adapter's `auth()` (and `withAuth` for Fetch handlers).
 *
 * @example
 * ```ts
 * const options: AuthOptions<AppUser> = { schemes: [new BasicAuthentication({ users })], required: true };
 * ```
 */
export interface AuthOptions<User = unknown> {
  /** The schemes, in order (DRF's `authentication_classes`). */
  schemes: readonly BaseAuthentication<User>[];
  /**
   * Whether an anonymous request is refused: shorthand for `permissions: [IsAuthenticated]`. Default
   * true on a route without `permissions`; a route's `permissions` replace it, as a DRF view's
   * `permission_classes` replace `DEFAULT_PERMISSION_CLASSES` (`required: true` beside them checks
   * `IsAuthenticated` first). With false, an anonymous request goes through with `user` and `auth` null
   * unless a permission refuses it; bad credentials are refused either way.
   */
  required?: boolean;
  // NoInfer: the user's type comes from the schemes; `IsAdminUser` or `new UserRateThrottle(…)` (typed
  // for any user) would otherwise widen it to `unknown`.
  /** DRF's `permission_classes`, checked in order after authentication (and after `required: true`). */
  permissions?: readonly Permission<NoInfer<User>>[];
  /** DRF's `throttle_classes`, each counting every request that passed the permissions. */
  throttles?: readonly Throttle<NoInfer<User>>[];
  /** DRF's `throttle_scope`: which of a `ScopedRateThrottle`'s rates applies to the route. */
  throttleScope?: string;
  /**
   * DRF's `NUM_PROXIES`: how many proxies in front of the app append to `X-Forwarded-For`. Default 0:
   * the client's address is the socket's, never a header.
   */
  numProxies?: number;
}

/**
 * A request let through: the user and what proved it, or all null for an allowed anonymous request.
 *
 * @example
 * ```ts
 * if (outcome.ok) console.log(outcome.user, outcome.scheme);
 * ```
 */
export interface GuardPass<User> {
  /** Always true. */
  ok: true;
  /** The authenticated user, or null (anonymous, with `required: false`). */
  user: User | null;
  /** What proved the identity (a token record, session, claims), or null. */
  auth: unknown;
  /** The scheme that succeeded, or null. */
  scheme: string | null;
  /** What permissions and throttles saw: pass it to `checkObjectPermissions` in the handler. */
  context: ThrottleContext<User>;
}

/**
 * A request refused: the answer to send.
 *
 * @example
 * ```ts
 * if (!outcome.ok) return new Response(JSON.stringify(outcome.body), outcome);
 * ```
 */
export interface GuardDeny {
  /** Always false. */
  ok: false;
  /** 401 or 403 (DRF's rule); 429 when throttled; 500 for a broken scheme; 503 for a store that cannot answer. */
  status: 401 | 403 | 429 | 500 | 503;
  /** `Content-Type`, `WWW-Authenticate` on a 401, `Retry-After` on a 429 or 503. */
  headers: Record<string, string>;
  /** DRF's `{"detail", "code"}`. */
  body: ErrorResponseParts["body"];
  /** For 500 and 503: what the scheme threw (a `SchemeError`), for the framework's error log. */
  error?: unknown;
}

/** The outcome of {@link guard}. */
export type GuardOutcome<User> = GuardPass<User> | GuardDeny;

/**
 * Runs DRF's `APIView.initial()` on a request, as every adapter does: the schemes, then `required` and
 * the `permissions` (DRF's `permission_denied`: `NotAuthenticated` 401/403 when nobody authenticated,
 * else `PermissionDenied` 403), then the `throttles` (429 with `Retry-After`). Bad credentials are
 * 401/403 with DRF's body whatever the permissions; a scheme, permission or throttle that breaks is
 * 500 `{"detail": "A server error occurred.", "code": "error"}`, or 503 `{"detail": "Service
 * temporarily unavailable, try again later.", "code": "service_unavailable"}` when the cause is a
 * {@link index!StoreUnavailable | StoreUnavailable}: never anonymous.
 *
 * @param request - the request view
 * @param options - schemes, `required`, `permissions`, `throttles`
 * @returns pass or deny
 * @example
 * ```ts
 * const outcome = await guard(toAuthRequest(req), { schemes });
 * if (!outcome.ok) return res.writeHead(outcome.status, outcome.headers).end(JSON.stringify(outcome.body));
 * ```
 */
export async function guard<User>(
  request: AuthRequest,
  options: AuthOptions<User>,
): Promise<GuardOutcome<User>> {
  let result: AuthResult<User>;
  try {
    result = await authenticate(request, options.schemes);
  } catch (error) {
    return serverError(error);
  }
  if (result.outcome === "fail") return refuse(errorResponseParts(result)!);
  const required = options.required ?? options.permissions === undefined;
  const context = contextOf(request, options, result.outcome === "success" ? result : null);
  if (options.permissions === undefined && options.throttles === undefined) {
    // `required` alone: no permission objects to run.
    if (result.outcome === "none" && required) return refuse(errorResponseParts(result)!);
    return pass(context);
  }
  try {
    if (required && context.user === null) throw new NotAuthenticated();
    await checkPermissions(context);
    if (options.throttles) await checkThrottles(context, options.throttles);
  } catch (error) {
    return denyThrown(error, request, options.schemes);
  }
  return pass(context);
}

function contextOf<User>(
  request: AuthRequest,
  options: AuthOptions<User>,
  success: AuthSuccess<User> | null,
): ThrottleContext<User> {
  return new RouteContext(request, options, success);
}

/** A request's context; the client's address is read only when a throttle or a handler asks. */
class RouteContext<User> implements ThrottleContext<User> {
  readonly user: User | null;
  readonly auth: unknown;
  readonly scheme: string | null;
  readonly userId: string | null;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  readonly authenticators: readonly BaseAuthentication<User>[];
  readonly permissions: readonly Permission<User>[];
  readonly throttleScope: string | null;
  readonly #numProxies: number | undefined;
  #clientIp: string | null | undefined;

  constructor(
    readonly request: AuthRequest,
    options: AuthOptions<User>,
    success: AuthSuccess<User> | null,
  ) {
    this.#numProxies = options.numProxies;
    this.user = success?.user ?? null;
    this.auth = success?.auth ?? null;
    this.scheme = success?.scheme ?? null;
    this.userId = success?.userId ?? null;
    this.isStaff = success?.isStaff ?? false;
    this.isSuperuser = success?.isSuperuser ?? false;
    this.authenticators = options.schemes;
    this.permissions = options.permissions ?? [];
    this.throttleScope = options.throttleScope ?? null;
  }

  get clientIp(): string | null {
    if (this.#clientIp === undefined) this.#clientIp = clientIdent(this.request, this.#numProxies);
    return this.#clientIp;
  }
}

function pass<User>(context: ThrottleContext<User>): GuardPass<User> {
  return { ok: true, user: context.user, auth: context.auth, scheme: context.scheme, context };
}

function refuse(parts: ErrorResponseParts): GuardDeny {
  return { ok: false, status: parts.status, headers: parts.headers, body: parts.body };
}

/**
 * The adapters' answer to an error thrown after authentication (internal): by the route's handler, a
 * mounted endpoint or the app. An `AuthError` answers its own status, as DRF's exception handler
 * does (a 401 with the route's first scheme's challenge, else 403); anything else 500/503, with
 * `error` set so the adapter reports it.
 *
 * @param error - what was thrown
 * @param request - the request, for the challenge
 * @param schemes - the route's schemes (none for a mounted endpoint)
 * @example
 * ```ts
 * const deny = denyThrown(error, request, options.schemes);
 * if (deny.error !== undefined) onError(deny.error, request);
 * ```
 */
export function denyThrown(
  error: unknown,
  request: AuthRequest | null,
  schemes: readonly BaseAuthentication<unknown, unknown>[] | undefined,
): GuardDeny {
  const parts = errorParts(error, routeChallenge(request, schemes));
  return parts.error === undefined
    ? { ok: false, status: parts.status, headers: parts.headers, body: parts.body }
    : { ok: false, status: parts.status, headers: parts.headers, body: parts.body, error: parts.error };
}

/**
 * Project-wide defaults with per-route override (DRF's `DEFAULT_AUTHENTICATION_CLASSES` and a view's
 * `authentication_classes`): the route's options win, key by key. A key the route leaves `undefined`
 * keeps the project's value, so `auth({ required: undefined })` under `createAuth({ required: false })`
 * stays optional. The caller's objects are never changed.
 *
 * @param defaults - the project's options
 * @param route - a route's options, if any
 * @returns the options for the route
 * @throws TypeError when the result has no scheme
 * @example
 * ```ts
 * withDefaults({ schemes: [basic] }, { required: false }); // { schemes: [basic], required: false }
 * withDefaults({ schemes: [basic], required: false }, { required: undefined }); // required stays false
 * ```
 */
export function withDefaults<User, Options extends AuthOptions<User> = AuthOptions<User>>(
  defaults: Options,
  route: Partial<Options> = {},
): Options {
  const merged: Options = { ...defaults };
  for (const key of Object.keys(route) as (keyof Options)[]) {
    if (route[key] !== undefined) merged[key] = route[key] as Options[keyof Options];
  }
  // A route's permissions replace the project's, `required` included, unless the route says `required`.
  if (route.permissions !== undefined && route.required === undefined) delete merged.required;
  // A route open to anyone may have none (DRF's `authentication_classes = ()`), for its throttles.
  if (!merged.schemes || (merged.schemes.length === 0 && merged.required !== false)) {
    throw new TypeError("auth() needs `schemes`: one scheme or more, or `required: false` and none.");
  }
  const proxies = merged.numProxies;
  if (proxies !== undefined && !(Number.isSafeInteger(proxies) && proxies >= 0)) {
    throw new TypeError("`numProxies` must be a whole number, 0 or more.");
  }
  return merged;
}

/**
 * The adapters' default `onError` (internal): an unexpected error is never swallowed, so without a
 * handler of the app's own it goes to `console.error`, with the request it broke.
 *
 * @param error - what the scheme threw (a `SchemeError`)
 * @param method - the request's method
 * @param url - the request's URL or path
 * @param what - what failed (default: authentication)
 * @example
 * ```ts
 * if (outcome.error !== undefined) reportError(outcome.error, request.method, request.url);
 * ```
 */
export function reportError(
  error: unknown,
  method: string,
  url: string,
  what = "authentication failed unexpectedly",
): void {
  console.error(`portcullis: ${what} for ${method} ${url}`, error);
}

/** What {@link reportError} says for a mounted endpoint that failed (internal). */
export const ENDPOINT_FAILED = "the endpoint failed unexpectedly";
