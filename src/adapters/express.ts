/**
 * `portcullis/express`: authentication middleware for Express 5 (and 4).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { type AuthOptions, type GuardOutcome, guardNow, withDefaults } from "../core/guard.js";
import type { EndpointHandler } from "../endpoints/http.js";
import { declareSlots } from "./internal/express-slots.js";
import { sendAuthError, sendFetchResponse, toAuthRequest, toFetchRequest } from "./node.js";

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

/** Options for {@link auth}: the schemes and `required` (default true). */
export interface ExpressAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
}

/**
 * The middleware: runs the schemes, sets `req.user` and `req.auth`, and calls `next()`; or answers
 * 401/403 as JSON with `WWW-Authenticate` (DRF's body). A broken scheme goes to Express's error
 * handling as `next(error)` with `error.status` 500, or 503 when a store cannot answer: never
 * anonymous.
 *
 * @param options - schemes and `required`
 * @returns an Express middleware
 * @example
 * ```ts
 * app.get("/api/me/", auth({ schemes: [basic, bearer] }), (req, res) => res.json(req.user));
 * ```
 */
export function auth<User, Required extends boolean = true>(
  options: ExpressAuthOptions<User, Required>,
): RequestHandler {
  const resolved = withDefaults(options);
  return (req: Request, res: Response, next: NextFunction): void => {
    // The built-in schemes usually answer synchronously: next() then runs in the request's own tick.
    const outcome = guardNow(toAuthRequest(req), resolved);
    if (outcome instanceof Promise) outcome.then((settled) => proceed(req, res, next, settled), next);
    else proceed(req, res, next, outcome);
  };
}

function proceed(req: Request, res: Response, next: NextFunction, outcome: GuardOutcome<unknown>): void {
  if (outcome.ok) {
    declareSlots(req);
    // A plain property write: @types/passport, when present, types `req.user` as its own.
    const authed = req as unknown as { user: unknown; auth: unknown };
    authed.user = outcome.user;
    authed.auth = outcome.auth;
    next();
    return;
  }
  if (outcome.error === undefined) {
    sendAuthError(res, outcome);
    return;
  }
  // Express's error handling (and the app's own error middleware) logs it and answers the status.
  const error = outcome.error as {
    status?: number;
    statusCode?: number;
    expose?: boolean;
    headers?: Record<string, string>;
  };
  if (typeof error === "object" && error !== null) {
    error.status = outcome.status;
    error.statusCode = outcome.status;
    error.expose = false;
    // The http-errors convention: Express's handler sends err.headers (Retry-After on a 503).
    const { "Content-Type": _, ...headers } = outcome.headers;
    error.headers = headers;
  }
  next(outcome.error);
}

/** What {@link createAuth} returns. */
export interface ExpressAuth<User> {
  /**
   * {@link auth} with the project's defaults; the route's options win.
   *
   * @param options - the route's own schemes or `required`
   * @returns an Express middleware
   */
  auth(options?: Partial<ExpressAuthOptions<User>>): RequestHandler;
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
 * streams to the handler; if a body parser ran first, what it parsed (`req.body`) is replayed.
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
      .then(() => handler(toFetchRequest(req, (req as { body?: unknown }).body)))
      .then((response) => sendFetchResponse(res, response))
      .catch(next);
  };
}
