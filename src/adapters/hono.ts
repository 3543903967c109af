/**
 * `portcullis/hono`: authentication middleware for Hono 4, on every runtime Hono runs on.
 */
import type { Context, Handler, MiddlewareHandler } from "hono";
import { AuthError } from "../core/errors.js";
import {
  type AuthOptions,
  denyThrown,
  ENDPOINT_FAILED,
  type GuardDeny,
  guard,
  reportError,
  withDefaults,
} from "../core/guard.js";
import { type ThrottleContext, withRemoteAddress } from "../core/throttle.js";
import type { EndpointHandler } from "../endpoints/http.js";

/**
 * The Hono `Variables` that {@link auth} sets: `c.get("user")` and `c.get("auth")`, typed.
 *
 * @example
 * ```ts
 * const app = new Hono<{ Variables: AuthVariables<AppUser> }>();
 * ```
 */
export interface AuthVariables<User, Required extends boolean = true> {
  /** The authenticated user (null only for an allowed anonymous request). */
  user: false extends Required ? User | null : User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
  /** What the permissions saw: for `checkObjectPermissions(c.get("authContext"), obj)`. */
  authContext: ThrottleContext<User>;
}

/**
 * The Hono environment {@link auth} adds to a route: its `Variables`.
 *
 * @example
 * ```ts
 * const app = new Hono<AuthEnv<AppUser>>();
 * ```
 */
export interface AuthEnv<User, Required extends boolean = true> {
  /** `c.get("user")` and `c.get("auth")`. */
  Variables: AuthVariables<User, Required>;
}

/** Options for {@link auth}: the schemes, `required` (default true) and where errors are reported. */
export interface HonoAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
  /** Where a broken scheme's error is reported before the 500/503 answer. Default `console.error`. */
  onError?: (error: unknown, c: Context) => void;
}

/**
 * The middleware: runs the schemes on `c.req.raw`, sets `c.var.user` and `c.var.auth` (typed through
 * Hono's `Variables`), and awaits `next()`; or answers 401/403 as JSON with `WWW-Authenticate`
 * (DRF's body), 500 for a broken scheme, 503 for a store that cannot answer: never anonymous. An
 * `AuthError` the route throws (`PermissionDenied`, `NotAuthenticated`) answers its own status as DRF's
 * exception handler does: 403, or 401 with the first scheme's challenge.
 *
 * @param options - schemes, `required`, `onError`
 * @returns a Hono middleware
 * @example
 * ```ts
 * app.get("/api/me/", auth({ schemes: [bearer] }), (c) => c.json({ id: c.get("user").id }));
 * ```
 */
export function auth<User, Required extends boolean = true>(
  options: HonoAuthOptions<User, Required>,
): MiddlewareHandler<AuthEnv<User, Required>> {
  const resolved = withDefaults<User, HonoAuthOptions<User, Required>>(options);
  const onError = resolved.onError ?? ((error, c) => reportError(error, c.req.method, c.req.url));
  return async (c, next) => {
    // Always with the client's address: throttles count by it, and a scheme's lockout (Basic) keys on it.
    const request = withRemoteAddress(c.req.raw, c.env);
    const outcome = await guard(request, resolved);
    if (outcome.ok) {
      c.set("user", outcome.user as AuthVariables<User, Required>["user"]);
      c.set("auth", outcome.auth);
      c.set("authContext", outcome.context as ThrottleContext<User>);
      await next();
      // DRF's exception handler: an AuthError raised by the route answers its own status. Hono has
      // already caught it (and given it to the app's onError); its answer is replaced by DRF's.
      if (c.error instanceof AuthError) c.res = answer(denyThrown(c.error, c.req.raw, resolved.schemes));
      return;
    }
    if (outcome.error !== undefined) onError(outcome.error, c);
    return answer(outcome);
  };
}

function answer(deny: GuardDeny): Response {
  return new Response(JSON.stringify(deny.body), { status: deny.status, headers: deny.headers });
}

/** Options for {@link mount}. */
export interface HonoMountOptions {
  /** Where an unexpected error is reported before the 500/503 answer. Default `console.error`. */
  onError?: (error: unknown, c: Context) => void;
}

/**
 * Serves a Fetch endpoint handler (the token, JWT and session endpoints) as a Hono route handler,
 * answering its failures itself, whatever `app.onError` does: an `AuthError` with its own status and
 * DRF's body; a store that cannot answer 503 with `Retry-After`; anything else 500 `{"detail": "A
 * server error occurred.", "code": "error"}`, never the error's message. The unexpected error goes to
 * `onError`, default `console.error`.
 *
 * @param handler - a Fetch handler, such as `sessionHandlers(...).login`
 * @param options - `onError`
 * @returns a Hono handler
 * @example
 * ```ts
 * app.all("/api/session/login/", mount(views.login));
 * ```
 */
export function mount(handler: EndpointHandler, options: HonoMountOptions = {}): Handler {
  const onError =
    options.onError ?? ((error, c) => reportError(error, c.req.method, c.req.url, ENDPOINT_FAILED));
  return async (c) => {
    try {
      return await handler(c.req.raw, c.env);
    } catch (error) {
      const deny = denyThrown(error, null, undefined);
      if (deny.error !== undefined) onError(deny.error, c);
      return answer(deny);
    }
  };
}

/** What {@link createAuth} returns. */
export interface HonoAuth<User, Required extends boolean = true> {
  /**
   * {@link auth} with the project's defaults; the route's options win, key by key (an `undefined` one
   * keeps the project's value). `c.get("user")` is nullable when the route, or else the project, has
   * `required: false`.
   *
   * @param options - the route's own schemes, `required` or `onError`
   * @returns a Hono middleware
   */
  auth<Route extends boolean = Required>(
    options?: Partial<HonoAuthOptions<User, Route>>,
  ): MiddlewareHandler<AuthEnv<User, Route>>;
}

/**
 * Project-wide defaults with per-route override (DRF's `DEFAULT_AUTHENTICATION_CLASSES` and a view's
 * `authentication_classes`).
 *
 * @param defaults - the project's schemes (and `required`, `onError`)
 * @returns `{ auth(options?) }` using the defaults unless a route passes its own
 * @example
 * ```ts
 * const { auth } = createAuth({ schemes: [session, bearer] });
 * app.get("/api/me/", auth(), (c) => c.json(c.get("user"))); // User
 * app.get("/api/feed/", auth({ required: false }), (c) => c.json(c.get("user"))); // User | null
 * ```
 */
export function createAuth<User, Required extends boolean = true>(
  defaults: HonoAuthOptions<User, Required>,
): HonoAuth<User, Required> {
  withDefaults(defaults);
  return {
    auth: (options) => auth(withDefaults<User, HonoAuthOptions<User>>(defaults, options) as never) as never,
  };
}
