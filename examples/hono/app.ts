/**
 * The Hono example: `auth()` middleware on `/api/me/` (`c.get("user")` typed), the Fetch endpoint
 * handlers given `c.req.raw`. The same app runs on Deno, Bun or Workers as `app.fetch`; on Node it is
 * served here through portcullis's own Fetch bridge (what @hono/node-server does).
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { Hono } from "hono";
import { auth } from "../../src/adapters/hono.js";
import { sendFetchResponse, toFetchRequest } from "../../src/adapters/node.js";
import { toResponse } from "../../src/index.js";
import type { AuthKit } from "../shared/setup.js";

/** Builds the Hono app. */
export function createApp({ schemes, views }: AuthKit): Hono {
  const app = new Hono();

  app.get("/api/public/", (c) => c.json({ message: "Hello, anonymous or not." }));
  app.get("/api/me/", auth({ schemes }), (c) => {
    const user = c.get("user");
    return c.json({ id: user.id, username: user.username });
  });

  // Each handler answers every method itself (405 with DRF's body, OPTIONS), hence `all`.
  app.all("/api-token-auth/", (c) => views.token(c.req.raw));
  app.all("/api/token/", (c) => views.jwt.obtainPair(c.req.raw));
  app.all("/api/token/refresh/", (c) => views.jwt.refresh(c.req.raw));
  app.all("/api/session/csrf/", (c) => views.session.csrf(c.req.raw));
  app.all("/api/session/login/", (c) => views.session.login(c.req.raw));
  app.all("/api/session/logout/", (c) => views.session.logout(c.req.raw));

  // What a handler throws: 503 with Retry-After when a store cannot answer, else 500; never the message.
  app.onError((error) => {
    console.error(error);
    return toResponse(error)!;
  });
  return app;
}

/** A node:http server (not listening) for the app. */
export function createServer(app: Hono): Server {
  return createHttpServer((req, res) => {
    Promise.resolve(app.fetch(toFetchRequest(req)))
      .then((response) => sendFetchResponse(res, response))
      .catch((error: unknown) => {
        console.error(error);
        res.destroy();
      });
  });
}
