/**
 * `portcullis/fastify`: authentication for Fastify 5, as a route's `preHandler` and a plugin.
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerHookHandler,
  RouteOptions,
} from "fastify";
import { AuthError } from "../core/errors.js";
import { fetchResponseParts } from "../core/fetch-response.js";
import {
  type AuthOptions,
  denyThrown,
  type GuardDeny,
  type GuardOutcome,
  guard,
  withDefaults,
} from "../core/guard.js";
import type { BaseAuthentication } from "../core/scheme.js";
import type { ThrottleContext } from "../core/throttle.js";
import type { EndpointHandler } from "../endpoints/http.js";
import { joinUrl, NodeRequestView } from "./internal/node-request.js";
import { toFetchRequest } from "./node.js";

/**
 * A Fastify request after {@link auth}: `request.user` and `request.auth` set (`user` null only for an
 * allowed anonymous request).
 *
 * @example
 * ```ts
 * app.get("/me", { preHandler: auth({ schemes }) }, async (request) => {
 *   const { user } = request as AuthenticatedRequest<AppUser>;
 *   return { id: user.id };
 * });
 * ```
 */
export type AuthenticatedRequest<User, Required extends boolean = true> = Omit<
  FastifyRequest,
  "user" | "auth" | "authContext"
> & {
  /** The authenticated user. */
  user: false extends Required ? User | null : User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
  /** What the permissions saw: for `checkObjectPermissions(request.authContext, obj)`. */
  authContext: ThrottleContext<User>;
};

/** Options for {@link auth}: the schemes and `required` (default true). */
export interface FastifyAuthOptions<User, Required extends boolean = boolean> extends AuthOptions<User> {
  /** Default true. */
  required?: Required;
}

/**
 * The `preHandler`: runs the schemes, sets `request.user` and `request.auth`; or answers 401/403 as
 * JSON with `WWW-Authenticate` (DRF's body). A broken scheme answers 500 (503 when a store cannot
 * answer) and is logged through `request.log`: never anonymous. Register {@link plugin} first so the
 * two properties are decorated (Fastify's fast path). The view's `url` is the one Fastify sees
 * (`request.protocol` and `request.host`, which honour `trustProxy`).
 *
 * @param options - schemes and `required`
 * @returns a preHandler hook
 * @example
 * ```ts
 * await app.register(plugin);
 * app.get("/api/me/", { preHandler: auth({ schemes: [bearer] }) }, async (request) => request.user);
 * ```
 */
export function auth<User, Required extends boolean = true>(
  options: FastifyAuthOptions<User, Required>,
): preHandlerHookHandler {
  const resolved = withDefaults(options);
  // A refused request is answered here and done() is not called.
  return function portcullisAuth(request: FastifyRequest, reply: FastifyReply, done): void {
    (request as unknown as SchemesSlot)[ROUTE_SCHEMES] = resolved.schemes;
    guard(new NodeRequestView(request.raw, fastifyUrl, request), resolved).then(
      (outcome) => proceed(request, reply, done, outcome),
      done,
    );
  };
}

function proceed(
  request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
  outcome: GuardOutcome<unknown>,
): void {
  if (outcome.ok) {
    const authed = request as AuthenticatedRequest<unknown, false>;
    authed.user = outcome.user;
    authed.auth = outcome.auth;
    authed.authContext = outcome.context;
    done();
    return;
  }
  const { error } = outcome;
  if (error !== undefined) request.log.error({ err: error }, "authentication failed unexpectedly");
  send(reply, outcome);
}

function send(reply: FastifyReply, deny: GuardDeny): FastifyReply {
  // A Buffer, so Fastify keeps the Content-Type exactly (it appends a charset to a string body).
  return reply
    .code(deny.status)
    .headers(deny.headers)
    .send(Buffer.from(JSON.stringify(deny.body)));
}

// The schemes of the auth() a request went through, for the challenge of an AuthError thrown after it:
// a request decoration (set per request without changing the object's shape).
const ROUTE_SCHEMES = Symbol("portcullis.routeSchemes");
type SchemesSlot = { [ROUTE_SCHEMES]: readonly BaseAuthentication<unknown>[] | null };

type ErrorHandler = NonNullable<RouteOptions["errorHandler"]>;

// DRF's exception handler answers an AuthError a view raises. Each route gets an error handler of its
// own that answers an AuthError (from the handler or a hook) with its status and DRF's body, before the
// route's own error handler; anything else goes on to the route's, else the app's error handling.
function answeringAuthErrors(own: RouteOptions["errorHandler"]): ErrorHandler {
  return function portcullisErrors(this: FastifyInstance, error, request, reply) {
    if (error instanceof AuthError && !reply.sent) {
      const view = new NodeRequestView(request.raw, fastifyUrl, request);
      send(reply, denyThrown(error, view, (request as unknown as SchemesSlot)[ROUTE_SCHEMES] ?? undefined));
      return;
    }
    if (own !== undefined) return own.call(this, error, request, reply);
    throw error; // Fastify hands an error its route's handler throws to the app's error handler
  };
}

/** The URL Fastify sees: `request.protocol` and `request.host` honour its `trustProxy`. */
function fastifyUrl(request: FastifyRequest): string {
  return joinUrl(request.protocol, request.host, request.url);
}

/**
 * Decorates `request.user` and `request.auth` (null until {@link auth} runs), for the whole app: it
 * is not encapsulated, as `fastify-plugin` would mark it. Every route added after it answers an
 * `AuthError` its handler throws (`PermissionDenied`, `NotAuthenticated`) with its own status, as DRF's
 * exception handler does: 403, or 401 with the first scheme's challenge of the route's {@link auth}.
 * It does so through an error handler of the route's own, ahead of the route's `errorHandler` option and
 * of the app's `setErrorHandler`, which receive every other error as before; a route's handler is
 * never wrapped.
 *
 * @param app - the Fastify instance
 * @example
 * ```ts
 * await app.register(plugin);
 * ```
 */
export const plugin: FastifyPluginAsync = Object.assign(
  async function portcullis(app: FastifyInstance): Promise<void> {
    if (!app.hasRequestDecorator("user")) app.decorateRequest("user", null);
    if (!app.hasRequestDecorator("auth")) app.decorateRequest("auth", null);
    if (!app.hasRequestDecorator("authContext")) app.decorateRequest("authContext", null);
    const slot = ROUTE_SCHEMES as unknown as string; // Fastify decorates symbols as it does names
    if (!app.hasRequestDecorator(slot)) app.decorateRequest(slot, null);
    app.addHook("onRoute", (route) => {
      route.errorHandler = answeringAuthErrors(route.errorHandler);
    });
  },
  { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "portcullis" },
);

/** What {@link createAuth} returns. */
export interface FastifyAuth<User> {
  /**
   * {@link auth} with the project's defaults; the route's options win.
   *
   * @param options - the route's own schemes or `required`
   * @returns a preHandler hook
   */
  auth(options?: Partial<FastifyAuthOptions<User>>): preHandlerHookHandler;
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
 * app.get("/api/me/", { preHandler: auth() }, me);
 * ```
 */
export function createAuth<User>(defaults: FastifyAuthOptions<User>): FastifyAuth<User> {
  withDefaults(defaults);
  return { auth: (options) => auth(withDefaults(defaults, options)) };
}

/** Options for {@link mount}. */
export interface FastifyMountOptions {
  /** Where an unexpected error is reported before the 500/503 answer. Default `request.log.error`. */
  onError?: (error: unknown, request: FastifyRequest) => void;
}

/**
 * Serves a Fetch endpoint handler (the token, JWT and session endpoints) from Fastify, as a plugin to
 * register under the endpoint's path: the body reaches the handler unparsed (the plugin's own content
 * parser passes the stream through), for every method. The request's URL is the one Fastify sees
 * (`request.protocol` and `request.host`, which honour `trustProxy`). HTTP/2 (`http2: true`) works too.
 *
 * The endpoint's failures are answered inside the route, whatever error handler the app has: an
 * `AuthError` with its own status and DRF's body; a store that cannot answer 503 with `Retry-After`;
 * anything else 500 `{"detail": "A server error occurred.", "code": "error"}`, never the error's
 * message (Fastify's default handler would send it, and a driver's message names hosts and users).
 * The unexpected error goes to `onError`, default `request.log.error`.
 *
 * @param handler - a Fetch handler, such as `sessionHandlers(...).login`
 * @param options - `onError`
 * @returns a plugin serving the handler at its prefix
 * @example
 * ```ts
 * await app.register(mount(views.login), { prefix: "/api/session/login/" });
 * ```
 */
export function mount(handler: EndpointHandler, options: FastifyMountOptions = {}): FastifyPluginAsync {
  const onError =
    options.onError ??
    ((error, request) => request.log.error({ err: error }, "the endpoint failed unexpectedly"));
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    app.all("/", async (request, reply) => {
      let parts: Awaited<ReturnType<typeof fetchResponseParts>>;
      try {
        const response = await handler(toFetchRequest(request.raw, undefined, { url: fastifyUrl(request) }), {
          remoteAddress: request.raw.socket?.remoteAddress ?? null,
        });
        parts = await fetchResponseParts(response);
      } catch (error) {
        const deny = denyThrown(error, null, undefined);
        if (deny.error !== undefined) onError(deny.error, request);
        return send(reply, deny);
      }
      const { status, headers, cookies, body } = parts;
      reply.code(status).headers(headers);
      if (cookies.length > 0) reply.header("set-cookie", cookies);
      return reply.send(body === undefined ? undefined : Buffer.from(body));
    });
  };
}
