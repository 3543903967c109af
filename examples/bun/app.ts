/**
 * The Bun example's routes for `Bun.serve({ routes })`: `withAuth` around `/api/me/`, and the Fetch
 * endpoint handlers as routes of their own (each answers every method itself: 405 with DRF's body,
 * OPTIONS).
 */
import { withAuth } from "../../src/adapters/fetch.js";
import { type DefaultUser, type EndpointHandler, toResponse } from "../../src/index.js";
import type { AuthKit } from "../shared/setup.js";

type Handler = (request: Request) => Response | Promise<Response>;

/** Builds the routes: a handler per path, or a handler per method. */
export function createRoutes({ schemes, views }: AuthKit): Record<string, Handler | { GET: Handler }> {
  // 401/403 with DRF's body; 500, or 503 when a store cannot answer, for a scheme that breaks.
  const me = withAuth<DefaultUser>(
    (_request, { user }) => Response.json({ id: user.id, username: user.username }),
    { schemes },
  );
  const endpoints: Record<string, EndpointHandler> = {
    "/api-token-auth/": views.token,
    "/api/token/": views.jwt.obtainPair,
    "/api/token/refresh/": views.jwt.refresh,
    "/api/session/csrf/": views.session.csrf,
    "/api/session/login/": views.session.login,
    "/api/session/logout/": views.session.logout,
  };
  return {
    "/api/public/": { GET: () => Response.json({ message: "Hello, anonymous or not." }) },
    // Bun passes (request, server): only the request goes on to withAuth's handler.
    "/api/me/": { GET: (request) => me(request) },
    ...endpoints,
  };
}

/** Any other path. */
export function notFound(): Response {
  return Response.json({ detail: "Not found." }, { status: 404 });
}

/** What a handler throws: 503 with Retry-After when a store cannot answer, else 500; never the message. */
export function onError(error: unknown): Response {
  console.error(error);
  return toResponse(error instanceof Error ? error : new Error(String(error)))!;
}
