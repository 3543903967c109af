/**
 * The node:http example, with no framework: `guard` on `toAuthRequest(req)` for `/api/me/`, and the
 * Fetch endpoint handlers bridged with `toFetchRequest` and `sendFetchResponse`.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { guard, serverError } from "../../src/adapter-kit.js";
import { sendAuthError, sendFetchResponse, toAuthRequest, toFetchRequest } from "../../src/adapters/node.js";
import type { EndpointHandler } from "../../src/index.js";
import type { AuthKit } from "../shared/setup.js";

/** Builds the server (not listening). */
export function createServer({ schemes, views }: AuthKit): Server {
  const endpoints: Record<string, EndpointHandler> = {
    "/api-token-auth/": views.token,
    "/api/token/": views.jwt.obtainPair,
    "/api/token/refresh/": views.jwt.refresh,
    "/api/session/csrf/": views.session.csrf,
    "/api/session/login/": views.session.login,
    "/api/session/logout/": views.session.logout,
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const endpoint = endpoints[path];
    if (endpoint) return sendFetchResponse(res, await endpoint(toFetchRequest(req)));
    if (path !== "/api/public/" && path !== "/api/me/") return send(res, 404, { detail: "Not found." });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, { detail: `Method "${req.method}" not allowed.` }, { Allow: "GET, HEAD" });
    }
    if (path === "/api/public/") return send(res, 200, { message: "Hello, anonymous or not." });

    // 401/403 with DRF's body; 500, or 503 when a store cannot answer, for a scheme that breaks.
    const outcome = await guard(toAuthRequest(req), { schemes });
    if (!outcome.ok) {
      if (outcome.error !== undefined) console.error(outcome.error);
      return void sendAuthError(res, outcome);
    }
    const { id, username } = outcome.user!; // never null: `required` defaults to true
    send(res, 200, { id, username });
  }

  return createHttpServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      console.error(error);
      if (res.headersSent) return void res.destroy();
      const { status, headers, body } = serverError(error);
      send(res, status, body, headers);
    });
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
