/**
 * `portcullis/koa`: authentication middleware for Koa 3 (and 2).
 */
import type { Context, Middleware, Next } from "koa";
import { AuthError } from "../core/errors.js";
import { fetchResponseParts } from "../core/fetch-response.js";
import { type AuthOptions, denyThrown, type GuardDeny, guard, withDefaults } from "../core/guard.js";
import type { ThrottleContext } from "../core/throttle.js";
import type { EndpointHandler } from "../endpoints/http.js";
import { joinUrl, NodeRequestView } from "./internal/node-request.js";
import { toFetchRequest } from "./node.js";

/**
 * What {@link auth} puts in `ctx.state` (`user` null only for an allowed anonymous request).
 *
 * @example
 * ```ts
 * router.get("/me", auth<AppUser>({ schemes }), (ctx: ParameterizedContext<AuthState<AppUser>>) => {
 *   ctx.body = { id: ctx.state.user.id };
 * });
 * ```
 */
export interface AuthState<User, Required extends boolean = true> {
  /** The authenticated user. */
  user: false extends Required ? User | null : User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
  /** What the permissions saw: for `checkObjectPermissions(ctx.state.authContext, obj)`. */
  authContext: ThrottleContext<User>;
}

/** Options for {@link auth}: the schemes and `required` (default true). */
export interface KoaAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
}

/**
 * The middleware: runs the schemes, sets `ctx.state.user` and `ctx.state.auth`, and awaits `next()`;
 * or answers 401/403 as JSON with `WWW-Authenticate` (DRF's body). A broken scheme answers 500 (503
 * when a store cannot answer) and is reported through the app's `error` event: never anonymous. The
 * body's `Content-Type` is exactly `application/json` under Koa 3 and 2 alike. The view's `url` is the
 * one Koa sees: `ctx.originalUrl` (before a mount rewrote it), `ctx.protocol` and `ctx.host` (which
 * honour `app.proxy`).
 *
 * @param options - schemes and `required`
 * @returns a Koa middleware typed with {@link AuthState}
 * @example
 * ```ts
 * app.use(auth({ schemes: [basic, bearer] }));
 * app.use((ctx) => { ctx.body = { id: ctx.state.user.id }; });
 * ```
 */
export function auth<User, Required extends boolean = true>(
  options: KoaAuthOptions<User, Required>,
): Middleware<AuthState<User, Required>> {
  const resolved = withDefaults(options);
  return async (ctx: Context, next: Next) => {
    const outcome = await guard(new NodeRequestView(ctx.req, koaUrl, ctx), resolved);
    if (outcome.ok) {
      ctx.state.user = outcome.user;
      ctx.state.auth = outcome.auth;
      ctx.state.authContext = outcome.context;
      try {
        return await next();
      } catch (error) {
        // DRF's exception handler: an AuthError raised downstream answers its own status (401 with this
        // route's first challenge, else 403). Anything else is the app's: Koa's error handling.
        if (!(error instanceof AuthError) || ctx.headerSent) throw error;
        return answer(ctx, denyThrown(error, new NodeRequestView(ctx.req, koaUrl, ctx), resolved.schemes));
      }
    }
    if (outcome.error !== undefined) ctx.app.emit("error", outcome.error, ctx);
    answer(ctx, outcome);
  };
}

function answer(ctx: Context, deny: GuardDeny): void {
  ctx.status = deny.status;
  ctx.set(deny.headers);
  // A string: Koa 2 would set `application/json; charset=utf-8` over ours for an object body.
  ctx.body = JSON.stringify(deny.body);
}

/** The URL Koa sees: before a mount rewrote `ctx.url`; `ctx.protocol` and `ctx.host` honour `app.proxy`. */
function koaUrl(ctx: Context): string {
  return joinUrl(ctx.protocol, ctx.host, ctx.originalUrl);
}

/** What {@link createAuth} returns. */
export interface KoaAuth<User, Required extends boolean = true> {
  /**
   * {@link auth} with the project's defaults; the route's options win, key by key (an `undefined` one
   * keeps the project's value). `ctx.state.user` is nullable when the route, or else the project, has
   * `required: false`.
   *
   * @param options - the route's own schemes or `required`
   * @returns a Koa middleware
   */
  auth<Route extends boolean = Required>(
    options?: Partial<KoaAuthOptions<User, Route>>,
  ): Middleware<AuthState<User, Route>>;
}

/**
 * Project-wide defaults with per-route override (DRF's `DEFAULT_AUTHENTICATION_CLASSES` and a view's
 * `authentication_classes`).
 *
 * @param defaults - the project's schemes (and `required`)
 * @returns `{ auth(options?) }` using the defaults unless a route passes its own
 * @example
 * ```ts
 * const { auth } = createAuth({ schemes: [session, bearer] });
 * router.get("/api/me/", auth(), me); // ctx.state.user: User
 * const open = createAuth({ schemes: [session, bearer], required: false });
 * router.get("/api/feed/", open.auth(), feed); // ctx.state.user: User | null
 * ```
 */
export function createAuth<User, Required extends boolean = true>(
  defaults: KoaAuthOptions<User, Required>,
): KoaAuth<User, Required> {
  withDefaults(defaults);
  return { auth: (options) => auth(withDefaults<User, KoaAuthOptions<User>>(defaults, options)) as never };
}

/** Options for {@link mount}. */
export interface KoaMountOptions {
  /** Where an unexpected error is reported before the 500/503 answer. Default: the app's `error` event. */
  onError?: (error: unknown, ctx: Context) => void;
}

/**
 * Serves a Fetch endpoint handler (the token, JWT and session endpoints) from Koa. The body streams to
 * the handler; if a body parser ran first, what it parsed (`ctx.request.body`) is replayed. The
 * request's URL is the one Koa sees (`ctx.originalUrl`, `ctx.protocol` and `ctx.host`). A response
 * without a body is sent without one, whatever its `Content-Type`.
 *
 * The endpoint's failures are answered here, whatever error handling the app has: an `AuthError` with
 * its own status and DRF's body; a store that cannot answer 503 with `Retry-After`; anything else 500
 * `{"detail": "A server error occurred.", "code": "error"}`, never the error's message. The unexpected
 * error goes to `onError`, default the app's `error` event.
 *
 * @param handler - a Fetch handler, such as `sessionHandlers(...).login`
 * @param options - `onError`
 * @returns a Koa middleware
 * @example
 * ```ts
 * router.all("/api/session/login/", mount(views.login));
 * ```
 */
export function mount(handler: EndpointHandler, options: KoaMountOptions = {}): Middleware {
  const onError = options.onError ?? ((error, ctx) => ctx.app.emit("error", error, ctx));
  return async (ctx: Context) => {
    const parsed = (ctx.request as { body?: unknown }).body;
    let parts: Awaited<ReturnType<typeof fetchResponseParts>>;
    try {
      const request = toFetchRequest(ctx.req, parsed, { url: koaUrl(ctx) });
      parts = await fetchResponseParts(
        await handler(request, { remoteAddress: ctx.req.socket.remoteAddress ?? null }),
      );
    } catch (error) {
      const deny = denyThrown(error, null, undefined);
      if (deny.error !== undefined) onError(deny.error, ctx);
      return answer(ctx, deny);
    }
    const { status, headers, cookies, body } = parts;
    // No body: null before the headers, or Koa 3 sends "null" under a JSON Content-Type (and Koa turns a
    // null body into 204, hence the status after it).
    if (body === undefined) ctx.body = null;
    ctx.status = status;
    ctx.set(headers);
    if (cookies.length > 0) ctx.set("Set-Cookie", cookies);
    if (body !== undefined) ctx.body = Buffer.from(body);
  };
}
