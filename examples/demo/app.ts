/**
 * The demo application: a node:http server with a public route and a route behind BasicAuthentication.
 * `npm start` runs it (server.ts); tests start it on a free port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  type AuthRequest,
  authenticate,
  BasicAuthentication,
  errorResponseParts,
  hashPassword,
  MemoryUserStore,
} from "../../src/index.js";

export interface DemoOptions {
  /** The seeded user's password; default "demo". */
  password?: string;
}

/** Builds the demo server (not yet listening) with a seeded user `demo`. */
export async function createDemoServer(options: DemoOptions = {}): Promise<Server> {
  const users = new MemoryUserStore();
  await users.create({ username: "demo", passwordHash: await hashPassword(options.password ?? "demo") });
  const schemes = [new BasicAuthentication({ users })];

  return createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      // An unexpected error (a SchemeError, say) is logged and answered 500: never anonymous.
      console.error(error);
      if (!res.headersSent) send(res, 500, { detail: "A server error occurred." });
      else res.end();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/api/public/" && path !== "/api/me/") return send(res, 404, { detail: "Not found." });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, { detail: `Method "${req.method}" not allowed.` }, { Allow: "GET, HEAD" });
    }
    if (path === "/api/public/") return send(res, 200, { message: "Hello, anonymous or not." });

    const result = await authenticate(toAuthRequest(req), schemes);
    if (result.outcome !== "success") {
      const parts = errorResponseParts(result)!;
      return send(res, parts.status, parts.body, parts.headers);
    }
    const { id, username } = result.user;
    send(res, 200, { id, username });
  }
}

// A view over IncomingMessage: no copy, no body read.
function toAuthRequest(req: IncomingMessage): AuthRequest {
  return {
    method: req.method ?? "GET",
    url: req.url ?? "/",
    headers: {
      get(name) {
        const value = req.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
  };
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
