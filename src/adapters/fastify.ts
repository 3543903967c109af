/**
 * `portcullis/fastify`: authentication for Fastify 5, as a route's `preHandler` and a plugin.
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerHookHandler,
} from "fastify";
import { fetchResponseParts } from "../core/fetch-response.js";
import { type AuthOptions, type GuardOutcome, guardNow, withDefaults } from "../core/guard.js";
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
  "user" | "auth"
> & {
  /** The authenticated user. */
  user: false extends Required ? User | null : User;
  /** What proved the identity: a token record, a session, the JWT claims, or null. */
  auth: unknown;
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
  // Callback style, so a synchronous answer (the built-in schemes usually give one) costs no promise:
  // done() runs in the same tick. A refused request is answered here and done() is not called.
  return function portcullisAuth(request: FastifyRequest, reply: FastifyReply, done): void {
    const outcome = guardNow(new NodeRequestView(request.raw, fastifyUrl, request), resolved);
    if (outcome instanceof Promise) outcome.then((settled) => proceed(request, reply, done, settled), done);
    else proceed(request, reply, done, outcome);
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
    done();
    return;
  }
  const { error } = outcome;
  if (error !== undefined) request.log.error({ err: error }, "authentication failed unexpectedly");
  // A Buffer, so Fastify keeps the Content-Type exactly (it appends a charset to a string body).
  const body = Buffer.from(JSON.stringify(outcome.body));
  reply.code(outcome.status).headers(outcome.headers).send(body);
}

/** The URL Fastify sees: `request.protocol` and `request.host` honour its `trustProxy`. */
function fastifyUrl(request: FastifyRequest): string {
  return joinUrl(request.protocol, request.host, request.url);
}

/**
 * Decorates `request.user` and `request.auth` (null until {@link auth} runs), for the whole app: it
 * is not encapsulated, as `fastify-plugin` would mark it.
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

/**
 * Serves a Fetch endpoint handler (the token, JWT and session endpoints) from Fastify, as a plugin to
 * register under the endpoint's path: the body reaches the handler unparsed (the plugin's own content
 * parser passes the stream through), for every method. The request's URL is the one Fastify sees
 * (`request.protocol` and `request.host`, which honour `trustProxy`). HTTP/2 (`http2: true`) works too.
 *
 * @param handler - a Fetch handler, such as `sessionHandlers(...).login`
 * @returns a plugin serving the handler at its prefix
 * @example
 * ```ts
 * await app.register(mount(views.login), { prefix: "/api/session/login/" });
 * ```
 */
export function mount(handler: EndpointHandler): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", (_request, payload, done) => done(null, payload));
    app.all("/", async (request, reply) => {
      const response = await handler(toFetchRequest(request.raw, undefined, { url: fastifyUrl(request) }));
      const { status, headers, cookies, body } = await fetchResponseParts(response);
      reply.code(status).headers(headers);
      if (cookies.length > 0) reply.header("set-cookie", cookies);
      return reply.send(body === undefined ? undefined : Buffer.from(body));
    });
  };
}
