/**
 * `portcullis/koa`: authentication middleware for Koa 3.
 */
import type { Context, Middleware, Next } from "koa";
import { fetchResponseParts } from "../core/fetch-response.js";
import { type AuthOptions, guard, withDefaults } from "../core/guard.js";
import type { EndpointHandler } from "../endpoints/http.js";
import { toAuthRequest, toFetchRequest } from "./node.js";

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
}

/** Options for {@link auth}: the schemes and `required` (default true). */
export interface KoaAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
}

/**
 * The middleware: runs the schemes, sets `ctx.state.user` and `ctx.state.auth`, and awaits `next()`;
 * or answers 401/403 as JSON with `WWW-Authenticate` (DRF's body). A broken scheme answers 500 (503
 * when a store cannot answer) and is reported through the app's `error` event: never anonymous.
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
    const outcome = await guard(toAuthRequest(ctx.req), resolved);
    if (outcome.ok) {
      ctx.state.user = outcome.user;
      ctx.state.auth = outcome.auth;
      return next();
    }
    if (outcome.error !== undefined) ctx.app.emit("error", outcome.error, ctx);
    ctx.status = outcome.status;
    ctx.set(outcome.headers);
    ctx.body = outcome.body;
  };
}

/** What {@link createAuth} returns. */
export interface KoaAuth<User> {
  /**
   * {@link auth} with the project's defaults; the route's options win.
   *
   * @param options - the route's own schemes or `required`
   * @returns a Koa middleware
   */
  auth<Required extends boolean = true>(
    options?: Partial<KoaAuthOptions<User, Required>>,
  ): Middleware<AuthState<User, Required>>;
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
 * router.get("/api/me/", auth(), me);
 * ```
 */
export function createAuth<User>(defaults: KoaAuthOptions<User>): KoaAuth<User> {
  withDefaults(defaults);
  return { auth: (options) => auth(withDefaults(defaults, options)) as never };
}

/**
 * Serves a Fetch endpoint handler (the token, JWT and session endpoints) from Koa. The body streams to
 * the handler; if a body parser ran first, what it parsed (`ctx.request.body`) is replayed.
 *
 * @param handler - a Fetch handler, such as `sessionHandlers(...).login`
 * @returns a Koa middleware
 * @example
 * ```ts
 * router.all("/api/session/login/", mount(views.login));
 * ```
 */
export function mount(handler: EndpointHandler): Middleware {
  return async (ctx: Context) => {
    const parsed = (ctx.request as { body?: unknown }).body;
    const { status, headers, cookies, body } = await fetchResponseParts(
      await handler(toFetchRequest(ctx.req, parsed)),
    );
    ctx.status = status;
    ctx.set(headers);
    if (cookies.length > 0) ctx.set("Set-Cookie", cookies);
    ctx.body = body === undefined ? null : Buffer.from(body);
    if (body === undefined) ctx.status = status; // Koa turns a null body into 204
  };
}
