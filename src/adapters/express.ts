/**
 * `portcullis/express`: authentication middleware for Express 5 (and 4).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { AuthError } from "../core/errors.js";
import {
  type AuthOptions,
  denyThrown,
  ENDPOINT_FAILED,
  type GuardOutcome,
  guard,
  reportError,
  withDefaults,
} from "../core/guard.js";
import type { BaseAuthentication } from "../core/scheme.js";
import type { ThrottleContext } from "../core/throttle.js";
import type { EndpointHandler } from "../endpoints/http.js";
import { expressUrl } from "./internal/express-url.js";
import { NodeRequestView } from "./internal/node-request.js";
import { sendAuthError, sendFetchResponse, toFetchRequest } from "./node.js";

/**
 * An Express request after {@link auth}: `req.user` and `req.auth` set (`user` null only for an
 * allowed anonymous request).
 *
 * @example
 * ```ts
 * app.get("/me", auth({ schemes }), (req, res) => {
 *   const { user } = req as AuthenticatedRequest<AppUser>;
 *   res.json({ id: user.id });
 * });
 * ```
 */
export type AuthenticatedRequest<User, Required extends boolean = true> = Omit<
  Request,
  "user" | "auth" | "authContext"
> & {
  /** The authenticated user. */
  user: false extends Required ? User | null : User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
  /** What the permissions saw: for `checkObjectPermissions(req.authContext, obj)`. */
  authContext: ThrottleContext<User>;
};

/** Options for {@link auth}: the schemes, `required` (default true), and where unexpected errors go. */
export interface ExpressAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
  /**
   * Where a broken scheme's error is reported before the 500/503 answer. Default `console.error`, with
   * the request's method and URL.
   */
  onError?: (error: unknown, req: Request) => void;
}

/**
 * The middleware: runs the schemes, sets `req.user` and `req.auth`, and calls `next()`; or answers
 * 401/403 as JSON with `WWW-Authenticate` (DRF's body). A broken scheme is answered here too, as every
 * adapter answers it: 500 `{"detail": "A server error occurred.", "code": "error"}`, or 503
 * `{"detail": "Service temporarily unavailable, try again later.", "code": "service_unavailable"}`
 * with `Retry-After` when a store cannot answer; never anonymous, never the error's message. The error
 * goes to `onError` (default `console.error`). The view's `url` is the one Express sees:
 * `req.originalUrl` under a router or sub-app, and `req.protocol` and the forwarded host when the app
 * sets `trust proxy`. Used on a route (`app.get(path, auth(…), handler)`), an `AuthError` the route's
 * handlers throw or reject with (`PermissionDenied`, `NotAuthenticated`) answers its own status as DRF's
 * exception handler does: 403, or 401 with the first scheme's challenge.
 *
 * @param options - schemes, `required`, `onError`
 * @returns an Express middleware
 * @example
 * ```ts
 * app.get("/api/me/", auth({ schemes: [basic, bearer] }), (req, res) => res.json(req.user));
 * app.get("/api/feed/", auth({ schemes: [bearer], onError: (error) => logger.error(error) }), feed);
 * ```
 */
export function auth<User, Required extends boolean = true>(
  options: ExpressAuthOptions<User, Required>,
): RequestHandler {
  const resolved = withDefaults<User, ExpressAuthOptions<User, Required>>(options);
  const onError = resolved.onError ?? ((error, req) => reportError(error, req.method, req.originalUrl));
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    answerRouteAuthErrors(req, middleware, resolved.schemes);
    guard(new NodeRequestView(req, expressUrl, req), resolved)
      .then((outcome) => proceed(req, res, next, outcome, onError))
      .catch(next);
  };
  return middleware;
}

type Layer = { handle?: unknown };
type Handle = (this: unknown, req: Request, res: Response, next: NextFunction) => unknown;
const guardedRoutes = new WeakSet<object>();

// DRF's exception handler answers an AuthError a view raises. Express gives a middleware no way to see
// what the handlers after it throw (they reach `next(err)` through the route's own dispatch), so the
// first request through a route wraps the route's later handlers, once: an AuthError they throw or
// reject with is answered here, anything else goes on to Express's error handling unchanged.
function answerRouteAuthErrors(
  req: Request,
  middleware: unknown,
  schemes: readonly BaseAuthentication<unknown>[],
): void {
  const route = (req as { route?: { stack?: unknown } }).route;
  if (route === undefined || guardedRoutes.has(route) || !Array.isArray(route.stack)) return;
  guardedRoutes.add(route);
  const stack = route.stack as Layer[];
  const at = stack.findIndex((layer) => layer.handle === middleware);
  if (at === -1) return;
  for (const layer of stack.slice(at + 1)) {
    const handle = layer.handle;
    // Four parameters: an error handler, which Express calls only with an error; left as it is.
    if (typeof handle === "function" && handle.length <= 3)
      layer.handle = answeringAuthErrors(handle as Handle, schemes);
  }
}

function answeringAuthErrors(handle: Handle, schemes: readonly BaseAuthentication<unknown>[]): Handle {
  return function portcullisRoute(this: unknown, req: Request, res: Response, next: NextFunction): unknown {
    const answered = (error: unknown): boolean => {
      if (!(error instanceof AuthError) || res.headersSent) return false;
      sendAuthError(res, denyThrown(error, new NodeRequestView(req, expressUrl, req), schemes));
      return true;
    };
    let result: unknown;
    try {
      result = handle.call(this, req, res, next);
    } catch (error) {
      if (answered(error)) return undefined;
      throw error;
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then !== "function") return result;
    // Anything else goes to `next(error)`, as Express 5 does with a rejection; Express 4 would leave it
    // unhandled.
    return Promise.resolve(result).then(undefined, (error: unknown) => {
      if (!answered(error)) next(error);
    });
  };
}

type OnError = (error: unknown, req: Request) => void;

function proceed(
  req: Request,
  res: Response,
  next: NextFunction,
  outcome: GuardOutcome<unknown>,
  onError: OnError,
): void {
  if (outcome.ok) {
    // A plain property write: @types/passport, when present, types `req.user` as its own.
    const authed = req as unknown as { user: unknown; auth: unknown; authContext: unknown };
    authed.user = outcome.user;
    authed.auth = outcome.auth;
    authed.authContext = outcome.context;
    next();
    return;
  }
  if (outcome.error !== undefined) onError(outcome.error, req);
  sendAuthError(res, outcome);
}

/** What {@link createAuth} returns. */
export interface ExpressAuth<User> {
  /**
   * {@link auth} with the project's defaults; the route's options win, key by key (an `undefined`
   * one keeps the project's value).
   *
   * @param options - the route's own schemes, `required` or `onError`
   * @returns an Express middleware
   */
  auth(options?: Partial<ExpressAuthOptions<User>>): RequestHandler;
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
 * app.get("/api/me/", auth(), me);
 * app.get("/api/feed/", auth({ required: false }), feed);
 * app.post("/api/hooks/", auth({ schemes: [token] }), hook);
 * ```
 */
export function createAuth<User>(defaults: ExpressAuthOptions<User>): ExpressAuth<User> {
  withDefaults(defaults);
  return { auth: (options) => auth(withDefaults(defaults, options)) };
}

/** Options for {@link mount}. */
export interface ExpressMountOptions {
  /**
   * Where an unexpected error (a bug, a store that cannot answer) is reported before the 500/503
   * answer. Default `console.error`, with the request's method and URL.
   */
  onError?: (error: unknown, req: Request) => void;
}

/**
 * Serves a Fetch endpoint handler (the token, JWT and session endpoints) from Express. The body
 * streams to the handler; if a body parser ran first, what it parsed (`req.body`) is replayed. The
 * request's URL is the one Express sees (`req.originalUrl`, `req.protocol` behind a trusted proxy), so
 * the login's CSRF origin check passes behind a TLS-terminating proxy.
 *
 * The endpoint's failures are answered here, whatever error handler the app has: an `AuthError` with
 * its own status and DRF's body; a store that cannot answer 503 `{"detail": "Service temporarily
 * unavailable, try again later.", "code": "service_unavailable"}` with `Retry-After`; anything else 500
 * `{"detail": "A server error occurred.", "code": "error"}`: JSON, never the error's message, never
 * Express's HTML page. The unexpected error goes to `onError`.
 *
 * @param handler - a Fetch handler, such as `sessionHandlers(...).login`
 * @param options - `onError`
 * @returns an Express route handler
 * @example
 * ```ts
 * const views = sessionHandlers({ sessions });
 * app.all("/api/session/login/", mount(views.login, { onError: (error) => logger.error(error) }));
 * ```
 */
export function mount(handler: EndpointHandler, options: ExpressMountOptions = {}): RequestHandler {
  const onError =
    options.onError ?? ((error, req) => reportError(error, req.method, req.originalUrl, ENDPOINT_FAILED));
  return (req, res) => {
    Promise.resolve()
      .then(() =>
        handler(toFetchRequest(req, (req as { body?: unknown }).body, { url: expressUrl(req) }), {
          remoteAddress: req.socket.remoteAddress ?? null,
        }),
      )
      .then(
        (response) => sendFetchResponse(res, response),
        (error: unknown) => {
          const deny = denyThrown(error, null, undefined);
          if (deny.error !== undefined) onError(deny.error, req);
          if (res.headersSent) res.end();
          else sendAuthError(res, deny);
        },
      )
      .catch((error: unknown) => {
        // Writing the answer failed (the client went away mid-body): nothing left to answer.
        onError(error, req);
        if (!res.writableEnded) res.destroy();
      });
  };
}
