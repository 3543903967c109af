/**
 * The Deno example's app: one Fetch handler, `withAuth` around `/api/me/`, the Fetch endpoint handlers
 * routed to directly, and a path table for a router.
 */
import { withAuth } from "../../src/adapters/fetch.js";
import { type DefaultUser, type EndpointHandler, toResponse } from "../../src/index.js";
import type { AuthKit } from "../shared/setup.js";

type Handler = (request: Request) => Response | Promise<Response>;

/** Builds the handler for `Deno.serve`. */
export function createHandler({ schemes, views }: AuthKit): (request: Request) => Promise<Response> {
  // 401/403 with DRF's body; 500, or 503 when a store cannot answer, for a scheme that breaks.
  const me = withAuth<DefaultUser>(
    (_request, { user }) => Response.json({ id: user.id, username: user.username }),
    { schemes },
  );
  const routes: Record<string, { GET: Handler } | EndpointHandler> = {
    "/api/public/": { GET: () => Response.json({ message: "Hello, anonymous or not." }) },
    "/api/me/": { GET: me },
    // Each handler answers every method itself (405 with DRF's body, OPTIONS).
    "/api-token-auth/": views.token,
    "/api/token/": views.jwt.obtainPair,
    "/api/token/refresh/": views.jwt.refresh,
    "/api/session/csrf/": views.session.csrf,
    "/api/session/login/": views.session.login,
    "/api/session/logout/": views.session.logout,
  };

  return async (request) => {
    const route = routes[new URL(request.url).pathname];
    if (route === undefined) return Response.json({ detail: "Not found." }, { status: 404 });
    if (typeof route === "function") return route(request);
    if (request.method !== "GET" && request.method !== "HEAD") {
      const detail = `Method "${request.method}" not allowed.`;
      return Response.json({ detail }, { status: 405, headers: { Allow: "GET, HEAD" } });
    }
    return route.GET(request);
  };
}

/** What a handler throws: 503 with Retry-After when a store cannot answer, else 500; never the message. */
export function onError(error: unknown): Response {
  console.error(error);
  return toResponse(error instanceof Error ? error : new Error(String(error)))!;
}
