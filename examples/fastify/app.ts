/**
 * The Fastify example: `auth()` as the `preHandler` of `/api/me/`, and each Fetch endpoint handler
 * registered under its path with `mount` (its own content parser hands the handler the raw body).
 */
import Fastify, { type FastifyInstance } from "fastify";
import { serverError } from "../../src/adapter-kit.js";
import { type AuthenticatedRequest, auth, mount, plugin } from "../../src/adapters/fastify.js";
import type { DefaultUser, EndpointHandler } from "../../src/index.js";
import type { AuthKit } from "../shared/setup.js";

/** Builds the app (not listening). A broken scheme is logged at `error` and answered 500 or 503. */
export async function createApp({ schemes, views }: AuthKit): Promise<FastifyInstance> {
  const app = Fastify({ logger: { level: "warn" } });
  await app.register(plugin); // decorates request.user and request.auth

  app.get("/api/public/", async () => ({ message: "Hello, anonymous or not." }));
  app.get("/api/me/", { preHandler: auth({ schemes }) }, async (request) => {
    const { user } = request as AuthenticatedRequest<DefaultUser>;
    return { id: user.id, username: user.username };
  });

  const endpoints: Record<string, EndpointHandler> = {
    "/api-token-auth/": views.token,
    "/api/token/": views.jwt.obtainPair,
    "/api/token/refresh/": views.jwt.refresh,
    "/api/session/csrf/": views.session.csrf,
    "/api/session/login/": views.session.login,
    "/api/session/logout/": views.session.logout,
  };
  for (const [prefix, handler] of Object.entries(endpoints)) await app.register(mount(handler), { prefix });

  // What a handler throws: 503 with Retry-After when a store cannot answer, else 500; never the message.
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.send(error); // Fastify's own 4xx
    request.log.error({ err: error });
    const { status, headers, body } = serverError(error);
    return reply.code(status).headers(headers).send(body);
  });
  return app;
}
