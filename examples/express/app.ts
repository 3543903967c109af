/**
 * The Express example: `auth()` middleware on `/api/me/`, the Fetch endpoint handlers through `mount`,
 * and a JSON error middleware last.
 */
import express, { type ErrorRequestHandler, type Express } from "express";
import { serverError } from "../../src/adapter-kit.js";
import { type AuthenticatedRequest, auth, mount } from "../../src/adapters/express.js";
import type { DefaultUser } from "../../src/index.js";
import type { AuthKit } from "../shared/setup.js";

/** Builds the app (not listening). */
export function createApp({ schemes, views }: AuthKit): Express {
  const app = express();

  app.get("/api/public/", (_req, res) => {
    res.json({ message: "Hello, anonymous or not." });
  });
  app.get("/api/me/", auth({ schemes }), (req, res) => {
    const { user } = req as AuthenticatedRequest<DefaultUser>;
    res.json({ id: user.id, username: user.username });
  });

  // Each handler answers every method itself (405 with DRF's body, OPTIONS), hence `all`.
  app.all("/api-token-auth/", mount(views.token));
  app.all("/api/token/", mount(views.jwt.obtainPair));
  app.all("/api/token/refresh/", mount(views.jwt.refresh));
  app.all("/api/session/csrf/", mount(views.session.csrf));
  app.all("/api/session/login/", mount(views.session.login));
  app.all("/api/session/logout/", mount(views.session.logout));

  // Last, a JSON error middleware for the mounted handlers: one whose store breaks reaches it as
  // next(error), answered 503 with Retry-After when a store cannot answer, else 500; never the error's
  // message. (auth() answers a broken scheme itself, with the same bodies, and reports it to onError.)
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    console.error(error);
    const { status, headers, body } = serverError(error);
    res.status(status).set(headers).json(body);
  };
  app.use(onError);
  return app;
}
