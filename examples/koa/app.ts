/**
 * The Koa example: `auth()` middleware in front of `/api/me/` (`ctx.state.user`), the Fetch endpoint
 * handlers through `mount`, and a few lines of routing where an app would use @koa/router.
 */
import Koa, { type Middleware } from "koa";
import { serverError } from "../../src/adapter-kit.js";
import { type AuthState, auth, mount } from "../../src/adapters/koa.js";
import type { DefaultUser } from "../../src/index.js";
import type { AuthKit } from "../shared/setup.js";

/** Builds the app (not listening). */
export function createApp({ schemes, views }: AuthKit): Koa<AuthState<DefaultUser>> {
  const app = new Koa<AuthState<DefaultUser>>();
  const requireUser = auth({ schemes });
  const endpoints: Record<string, Middleware> = {
    "/api-token-auth/": mount(views.token),
    "/api/token/": mount(views.jwt.obtainPair),
    "/api/token/refresh/": mount(views.jwt.refresh),
    "/api/session/csrf/": mount(views.session.csrf),
    "/api/session/login/": mount(views.session.login),
    "/api/session/logout/": mount(views.session.logout),
  };

  // What a handler throws: 503 with Retry-After when a store cannot answer, else 500; never the message.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const { status, headers, body } = serverError(error);
      [ctx.status, ctx.body] = [status, body];
      ctx.set(headers);
      ctx.app.emit("error", error, ctx);
    }
  });

  app.use(async (ctx, next) => {
    const endpoint = endpoints[ctx.path];
    if (endpoint) return endpoint(ctx, next);
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    if (ctx.path === "/api/public/") ctx.body = { message: "Hello, anonymous or not." };
    else if (ctx.path === "/api/me/") {
      await requireUser(ctx, async () => {
        const { id, username } = ctx.state.user;
        ctx.body = { id, username };
      });
    } else await next();
  });
  return app;
}
