/**
 * `portcullis/node`: `auth()` for plain node:http servers, and the request view and error answer that
 * the Express, Fastify and Koa adapters build on.
 */
import type { IncomingMessage } from "node:http";
import { AuthError } from "../core/errors.js";
import { type AuthOptions, type GuardDeny, guard, reportError, withDefaults } from "../core/guard.js";
import { errorParts, errorResponseParts, routeChallenge } from "../core/response.js";
import type { AuthResult } from "../core/runner.js";
import type { AuthRequest, BaseAuthentication } from "../core/scheme.js";
import type { ThrottleContext } from "../core/throttle.js";
import type { NodeRequest, NodeRequestOptions, NodeResponse } from "./internal/node-fetch.js";
import { NodeRequestView, nodeUrl, nodeView } from "./internal/node-request.js";

export type { NodeRequest, NodeRequestOptions, NodeResponse } from "./internal/node-fetch.js";
export { sendFetchResponse, toFetchRequest } from "./internal/node-fetch.js";

/**
 * A request let through by {@link auth}: the same object, with `req.user` and `req.auth` set (`user`
 * null only for an allowed anonymous request).
 *
 * @example
 * ```ts
 * const authed: AuthenticatedRequest<AppUser> | null = await check(req, res);
 * if (authed) res.end(authed.user.username);
 * ```
 */
export type AuthenticatedRequest<
  User,
  Required extends boolean = true,
  Req extends NodeRequest = IncomingMessage,
> = Omit<Req, "user" | "auth" | "authContext"> & {
  /** The authenticated user. */
  user: false extends Required ? User | null : User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
  /** What the permissions saw: for `checkObjectPermissions(req.authContext, obj)`. */
  authContext: ThrottleContext<User>;
};

/** Options for {@link auth}: the schemes, `required` (default true), where errors go, the URL. */
export interface NodeAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
  /**
   * Where a broken scheme's error is reported before the 500/503 answer. Default `console.error`, with
   * the request's method and URL.
   */
  onError?: (error: unknown, req: NodeRequest) => void;
  /**
   * The request's absolute URL, when node:http's own (from `Host`, the socket's TLS and `req.url`) is
   * not the one the client used: behind a TLS-terminating proxy the app trusts, say. The session
   * scheme's CSRF check compares it with `Origin`.
   */
  url?: (req: NodeRequest) => string;
}

/**
 * Checks a request with the schemes, as DRF's `APIView` does before the view runs. Given the request
 * and response of a node:http (or node:http2 compatibility) handler, it sets `req.user` and `req.auth`
 * (plain properties) and resolves to the request; or answers the refusal itself and resolves to `null`.
 */
export type NodeAuthCheck<User, Required extends boolean = true> = <Req extends NodeRequest>(
  req: Req,
  res: NodeResponse,
) => Promise<AuthenticatedRequest<User, Required, Req> | null>;

/**
 * Authentication for a plain node:http server, as `auth()` is for the frameworks: the returned check
 * runs the schemes, sets `req.user` and `req.auth` and resolves to the request; or answers and resolves
 * to `null`, and the handler stops. The answers are every adapter's: 401/403 as JSON with
 * `WWW-Authenticate` on a 401 (DRF's `{"detail", "code"}`); a broken scheme 500 `{"detail": "A server
 * error occurred.", "code": "error"}`, or 503 `{"detail": "Service temporarily unavailable, try again
 * later.", "code": "service_unavailable"}` with `Retry-After` when a store cannot answer: never
 * anonymous, never the error's message. The error goes to `onError` (default `console.error`).
 *
 * node:http has no error handling of its own for what the handler throws afterwards: give the server a
 * catch-all with {@link sendAuthError}, which answers an `AuthError` (`PermissionDenied`) with its
 * status and anything else 500.
 *
 * @param options - schemes, `required`, `onError`, `url`
 * @returns the check `(req, res) => Promise<req | null>`
 * @throws TypeError without a scheme
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { auth, sendAuthError } from "portcullis/node";
 *
 * const check = auth({ schemes: [basic, bearer] });
 *
 * createServer(async (req, res) => {
 *   const authed = await check(req, res);
 *   if (!authed) return; // answered 401, 403, 500 or 503
 *   res.setHeader("Content-Type", "application/json");
 *   res.end(JSON.stringify({ id: authed.user.id }));
 * }).listen(3000);
 * ```
 * @example Anonymous allowed, and a catch-all
 * ```ts
 * const optional = auth({ schemes: [bearer], required: false });
 * createServer((req, res) => {
 *   handle(req, res).catch((error: Error) => {
 *     console.error(error);
 *     sendAuthError(res, error); // what the handler throws after the check: 403, 500…
 *   });
 * });
 * async function handle(req: IncomingMessage, res: ServerResponse) {
 *   const authed = await optional(req, res);
 *   if (!authed) return;
 *   res.end(authed.user === null ? "hello, stranger" : `hello, ${authed.user.username}`);
 * }
 * ```
 */
export function auth<User, Required extends boolean = true>(
  options: NodeAuthOptions<User, Required>,
): NodeAuthCheck<User, Required> {
  const resolved = withDefaults<User, NodeAuthOptions<User, Required>>(options);
  const urlOf = resolved.url ?? nodeUrl;
  const onError =
    resolved.onError ?? ((error, req) => reportError(error, req.method ?? "GET", req.url ?? "/"));
  return async <Req extends NodeRequest>(req: Req, res: NodeResponse) => {
    const view = new NodeRequestView<NodeRequest>(req, urlOf, req);
    const outcome = await guard(view, resolved);
    if (outcome.ok) {
      routes.set(req, { view, schemes: resolved.schemes });
      // Plain property writes: @types/passport, when present, types `req.user` as its own.
      const authed = req as unknown as { user: unknown; auth: unknown; authContext: unknown };
      authed.user = outcome.user;
      authed.auth = outcome.auth;
      authed.authContext = outcome.context;
      return req as unknown as AuthenticatedRequest<User, Required, Req>;
    }
    if (outcome.error !== undefined) onError(outcome.error, req);
    sendAuthError(res, outcome);
    return null;
  };
}

// The route each request passed through auth(): sendAuthError answers a NotAuthenticated the handler
// throws afterwards (checkObjectPermissions) with the route's first challenge, as DRF's exception
// handler does; node:http has no route of its own to ask.
const routes = new WeakMap<object, { view: AuthRequest; schemes: readonly BaseAuthentication<unknown>[] }>();

function routeChallengeOf(res: NodeResponse): string | undefined {
  const req = (res as { req?: NodeRequest }).req;
  const route = req === undefined ? undefined : routes.get(req);
  return route && routeChallenge(route.view, route.schemes);
}

/** What {@link createAuth} returns. */
export interface NodeAuth<User, Required extends boolean = true> {
  /**
   * {@link auth} with the project's defaults; the route's options win, key by key (an `undefined` one
   * keeps the project's value).
   *
   * @param options - the route's own schemes, `required`, `onError` or `url`
   * @returns the check
   */
  auth<Route extends boolean = Required>(
    options?: Partial<NodeAuthOptions<User, Route>>,
  ): NodeAuthCheck<User, Route>;
}

/**
 * Project-wide defaults with per-route override (DRF's `DEFAULT_AUTHENTICATION_CLASSES` and a view's
 * `authentication_classes`).
 *
 * @param defaults - the project's schemes (and `required`, `onError`, `url`)
 * @returns `{ auth(options?) }` using the defaults unless a route passes its own
 * @example
 * ```ts
 * const { auth } = createAuth({ schemes: [session, bearer] });
 * const me = auth();
 * const feed = auth({ required: false });
 * ```
 */
export function createAuth<User, Required extends boolean = true>(
  defaults: NodeAuthOptions<User, Required>,
): NodeAuth<User, Required> {
  withDefaults(defaults);
  return {
    auth: (options) => auth(withDefaults<User, NodeAuthOptions<User>>(defaults, options)) as never,
  };
}

/**
 * Builds an {@link AuthRequest} over a node:http (or node:http2 compatibility) request in O(1): a view
 * over `req.headers` (no copy, no body read). Its `url` is absolute (`http(s)://host/path`), computed
 * only when read, so the CSRF check knows the request's own origin. An absolute-form request line
 * (`GET http://other.example/p HTTP/1.1`) gives that URL itself, as `new URL(req.url, base)` does and
 * RFC 9112 §3.2.2 says. `headers.get` answers as a Fetch `Headers`: a header sent twice reads as both
 * copies joined with ", ", even those (`Authorization`…) of which `req.headers` keeps only the first.
 *
 * @param req - the incoming request
 * @param options - the URL when the framework knows it better (Express's `originalUrl`, a trusted proxy)
 * @returns the view
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-3.2.2
 * @example
 * ```ts
 * createServer(async (req, res) => {
 *   const result = await authenticate(toAuthRequest(req), schemes);
 *   if (sendAuthError(res, result)) return;
 *   res.end(`hello ${result.outcome === "success" ? result.user.username : ""}`);
 * });
 * ```
 * @example Behind a proxy that the app trusts
 * ```ts
 * const view = toAuthRequest(req, { url: () => `https://api.example.com${req.url}` });
 * ```
 */
export function toAuthRequest(req: NodeRequest, options?: NodeRequestOptions): AuthRequest {
  return nodeView(req, options?.url);
}

/**
 * Answers a refused request: the status, `WWW-Authenticate` on a 401 and DRF's JSON body. Nothing is
 * written for a success. Given an error (what a handler threw): an `AuthError` answers its own status
 * (403, or 401 when it carries a challenge or the request went through an {@link auth} whose first
 * scheme has one, as DRF's exception handler does), anything else 500, or 503 for a store that cannot
 * answer, never with the error's message: the catch-all of a node:http server.
 *
 * @param res - the response
 * @param result - the runner's result, an adapter's deny outcome, or an error
 * @returns true when an answer was sent (stop handling), false for a success
 * @example
 * ```ts
 * const result = await authenticate(toAuthRequest(req), schemes);
 * if (sendAuthError(res, result)) return;
 * ```
 * @example The server's catch-all
 * ```ts
 * createServer((req, res) => {
 *   handle(req, res).catch((error: unknown) => {
 *     console.error(error);
 *     sendAuthError(res, error instanceof Error ? error : new Error(String(error)));
 *   });
 * });
 * ```
 */
export function sendAuthError(res: NodeResponse, result: AuthResult<unknown> | GuardDeny | Error): boolean {
  const parts =
    result instanceof Error
      ? errorParts(
          result,
          result instanceof AuthError && result.status === 401 ? routeChallengeOf(res) : undefined,
        )
      : "ok" in result
        ? result
        : errorResponseParts(result);
  if (parts === null) return false;
  // Headers already out (the handler failed mid-answer): no second status line, just end it.
  if (res.headersSent) res.end();
  else res.writeHead(parts.status, parts.headers).end(JSON.stringify(parts.body));
  return true;
}
