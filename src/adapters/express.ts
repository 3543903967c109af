/**
 * `portcullis/express`: authentication middleware for Express 5 (and 4).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { type AuthOptions, type GuardOutcome, guardNow, reportError, withDefaults } from "../core/guard.js";
import type { EndpointHandler } from "../endpoints/http.js";
import { declareSlots } from "./internal/express-slots.js";
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
export type AuthenticatedRequest<User, Required extends boolean = true> = Omit<Request, "user" | "auth"> & {
  /** The authenticated user. */
  user: false extends Required ? User | null : User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
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
 * sets `trust proxy`.
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
  return (req: Request, res: Response, next: NextFunction): void => {
    // The built-in schemes usually answer synchronously: next() then runs in the request's own tick.
    const outcome = guardNow(new NodeRequestView(req, expressUrl, req), resolved);
    if (outcome instanceof Promise)
      outcome.then((settled) => proceed(req, res, next, settled, onError)).catch(next);
    else proceed(req, res, next, outcome, onError);
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
    declareSlots(req);
    // A plain property write: @types/passport, when present, types `req.user` as its own.
    const authed = req as unknown as { user: unknown; auth: unknown };
    authed.user = outcome.user;
    authed.auth = outcome.auth;
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

/**
 * Serves a Fetch endpoint handler (the token, JWT and session endpoints) from Express. The body
 * streams to the handler; if a body parser ran first, what it parsed (`req.body`) is replayed. The
 * request's URL is the one Express sees (`req.originalUrl`, `req.protocol` behind a trusted proxy), so
 * the login's CSRF origin check passes behind a TLS-terminating proxy. A handler that rejects goes to
 * Express's error handling (`next(error)`).
 *
 * @param handler - a Fetch handler, such as `sessionHandlers(...).login`
 * @returns an Express route handler
 * @example
 * ```ts
 * const views = sessionHandlers({ sessions });
 * app.all("/api/session/login/", mount(views.login));
 * ```
 */
export function mount(handler: EndpointHandler): RequestHandler {
  return (req, res, next) => {
    Promise.resolve()
      .then(() => handler(toFetchRequest(req, (req as { body?: unknown }).body, { url: expressUrl(req) })))
      .then((response) => sendFetchResponse(res, response))
      .catch(next);
  };
}
