import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { FastifyRequest } from "fastify";
import { Hono } from "hono";
import Koa, { type Middleware } from "koa";
import { describe, expectTypeOf, it } from "vitest";
import type * as expressAdapter from "../../src/adapters/express.js";
import type * as fastifyAdapter from "../../src/adapters/fastify.js";
import * as fetchAdapter from "../../src/adapters/fetch.js";
import * as honoAdapter from "../../src/adapters/hono.js";
import * as koaAdapter from "../../src/adapters/koa.js";
import * as nodeAdapter from "../../src/adapters/node.js";
import { BasicAuthentication, MemoryUserStore } from "../../src/index.js";
import { checkObjectPermissions, IsAdminUser, type Permission } from "../../src/permissions.js";
import {
  MemoryThrottleStore,
  type Throttle,
  type ThrottleContext,
  UserRateThrottle,
} from "../../src/throttling/index.js";

interface AppUser {
  id: string;
  email: string;
}

const users = new MemoryUserStore<AppUser>();
const basic = new BasicAuthentication({ users });
const other = new BasicAuthentication<{ other: true }>({ verify: async () => null });
const IsVerified: Permission<AppUser> = { hasPermission: (ctx) => ctx.user?.email.endsWith(".org") === true };
const pipeline = {
  permissions: [IsAdminUser, IsVerified],
  throttles: [new UserRateThrottle({ rate: "10/minute", store: new MemoryThrottleStore() })],
  throttleScope: "uploads",
  numProxies: 1,
};

describe("portcullis/fetch", () => {
  it("gives the handler the schemes' user; User | null with required: false", () => {
    fetchAdapter.withAuth(
      (request, context) => {
        expectTypeOf(request).toEqualTypeOf<Request>();
        expectTypeOf(context.user).toEqualTypeOf<AppUser>();
        expectTypeOf(context.scheme).toEqualTypeOf<string | null>();
        expectTypeOf(context.auth).toBeUnknown();
        return Response.json(context.user.email);
      },
      { schemes: [basic] },
    );
    fetchAdapter.withAuth(
      (_request, { user }) => {
        expectTypeOf(user).toEqualTypeOf<AppUser | null>();
        return new Response(user?.email ?? "anonymous");
      },
      { schemes: [basic], required: false },
    );
    fetchAdapter.withAuth(
      (_request, { user }) => {
        expectTypeOf(user).toEqualTypeOf<AppUser>();
        return new Response(user.email);
      },
      { schemes: [basic], required: true },
    );
  });

  it("types context.authContext as ThrottleContext<User>, with or without required", () => {
    fetchAdapter.withAuth(
      async (_request, { authContext }) => {
        expectTypeOf(authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
        await checkObjectPermissions(authContext, { id: 1 });
        return new Response();
      },
      { schemes: [basic], ...pipeline },
    );
    fetchAdapter.withAuth(
      (_request, { authContext }) => {
        expectTypeOf(authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
        expectTypeOf(authContext.user).toEqualTypeOf<AppUser | null>();
        return new Response();
      },
      { schemes: [basic], required: false, ...pipeline },
    );
    fetchAdapter.createAuth({ schemes: [basic], ...pipeline }).withAuth(
      (_request, { authContext }) => {
        expectTypeOf(authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
        return new Response();
      },
      { permissions: [IsVerified], throttles: [] },
    );
  });

  it("passes extra arguments' types through", () => {
    const handler = fetchAdapter.withAuth(
      (_request, { user }, env: { KV: string }) => new Response(`${user.email} ${env.KV}`),
      { schemes: [basic] },
    );
    expectTypeOf(handler).toEqualTypeOf<(request: Request, env: { KV: string }) => Promise<Response>>();
  });

  it("types createAuth's routes from the project's schemes", () => {
    const { withAuth } = fetchAdapter.createAuth({ schemes: [basic] });
    withAuth((_request, { user }) => {
      expectTypeOf(user).toEqualTypeOf<AppUser>();
      return new Response();
    });
    withAuth(
      (_request, { user }) => {
        expectTypeOf(user).toEqualTypeOf<AppUser | null>();
        return new Response();
      },
      { required: false },
    );
  });

  it("carries createAuth's required: false to every route, unless the route says otherwise", () => {
    const { withAuth } = fetchAdapter.createAuth({ schemes: [basic], required: false });
    withAuth((_request, { user }) => {
      expectTypeOf(user).toEqualTypeOf<AppUser | null>();
      return new Response();
    });
    withAuth(
      (_request, { user }) => {
        expectTypeOf(user).toEqualTypeOf<AppUser | null>();
        return new Response();
      },
      { schemes: [basic] },
    );
    withAuth(
      (_request, { user }) => {
        expectTypeOf(user).toEqualTypeOf<AppUser>();
        return new Response();
      },
      { required: true },
    );
    const strict = fetchAdapter.createAuth({ schemes: [basic], required: true });
    strict.withAuth((_request, { user }) => {
      expectTypeOf(user).toEqualTypeOf<AppUser>();
      return new Response();
    });
    const unknownRequired: boolean = Math.random() > 0.5;
    fetchAdapter
      .createAuth({ schemes: [basic], required: unknownRequired })
      .withAuth((_request, { user }) => {
        expectTypeOf(user).toEqualTypeOf<AppUser | null>();
        return new Response();
      });
  });

  it("refuses a scheme of another user type and a handler that returns no Response", () => {
    // @ts-expect-error: the schemes must agree on the user type
    fetchAdapter.withAuth<AppUser>(() => new Response(), { schemes: [basic, other] });
    // @ts-expect-error: a handler answers a Response
    fetchAdapter.withAuth(() => "text", { schemes: [basic] });
  });
});

describe("portcullis/hono", () => {
  it("types c.get('user') and c.var.user through Hono's Variables", () => {
    new Hono().get("/", honoAdapter.auth({ schemes: [basic] }), (c) => {
      expectTypeOf(c.get("user")).toEqualTypeOf<AppUser>();
      expectTypeOf(c.var.user).toEqualTypeOf<AppUser>();
      expectTypeOf(c.get("auth")).toBeUnknown();
      return c.text(c.get("user").email);
    });
    new Hono().get("/", honoAdapter.auth({ schemes: [basic], required: false }), (c) => {
      expectTypeOf(c.get("user")).toEqualTypeOf<AppUser | null>();
      return c.text("ok");
    });
  });

  it("types c.get('authContext') as ThrottleContext<User>", () => {
    new Hono().get("/", honoAdapter.auth({ schemes: [basic], ...pipeline }), async (c) => {
      expectTypeOf(c.get("authContext")).toEqualTypeOf<ThrottleContext<AppUser>>();
      expectTypeOf(c.var.authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
      await checkObjectPermissions(c.get("authContext"), { id: 1 });
      return c.text("ok");
    });
    new Hono().get("/", honoAdapter.auth({ schemes: [basic], required: false, ...pipeline }), (c) => {
      expectTypeOf(c.get("authContext")).toEqualTypeOf<ThrottleContext<AppUser>>();
      return c.text("ok");
    });
    const project = honoAdapter.createAuth({ schemes: [basic], ...pipeline });
    new Hono().get("/", project.auth({ permissions: [IsVerified], throttles: [] }), (c) => {
      expectTypeOf(c.get("authContext")).toEqualTypeOf<ThrottleContext<AppUser>>();
      return c.text("ok");
    });
  });

  it("types an app declared with AuthEnv, and createAuth's middleware", () => {
    const app = new Hono<honoAdapter.AuthEnv<AppUser>>();
    app.use(honoAdapter.auth({ schemes: [basic] }));
    app.get("/", (c) => {
      expectTypeOf(c.get("user")).toEqualTypeOf<AppUser>();
      return c.text("ok");
    });
    const project = honoAdapter.createAuth({ schemes: [basic] });
    new Hono().get("/", project.auth(), (c) => {
      expectTypeOf(c.get("user")).toEqualTypeOf<AppUser>();
      return c.text("ok");
    });
    new Hono().get("/", project.auth({ required: false }), (c) => {
      expectTypeOf(c.get("user")).toEqualTypeOf<AppUser | null>();
      return c.text("ok");
    });
  });

  it("carries createAuth's required: false to every route, unless the route says otherwise", () => {
    const project = honoAdapter.createAuth({ schemes: [basic], required: false });
    new Hono().get("/", project.auth(), (c) => {
      expectTypeOf(c.get("user")).toEqualTypeOf<AppUser | null>();
      return c.text("ok");
    });
    new Hono().get("/", project.auth({ schemes: [basic] }), (c) => {
      expectTypeOf(c.get("user")).toEqualTypeOf<AppUser | null>();
      return c.text("ok");
    });
    new Hono().get("/", project.auth({ required: true }), (c) => {
      expectTypeOf(c.get("user")).toEqualTypeOf<AppUser>();
      return c.text("ok");
    });
  });
});

describe("portcullis/koa", () => {
  it("auth<User>() is a Middleware<AuthState<User>>, so ctx.state.user is User", () => {
    const middleware = koaAdapter.auth<AppUser>({ schemes: [basic] });
    expectTypeOf(middleware).toEqualTypeOf<Middleware<koaAdapter.AuthState<AppUser>>>();
    expectTypeOf(koaAdapter.auth({ schemes: [basic], required: false })).toEqualTypeOf<
      Middleware<koaAdapter.AuthState<AppUser, false>>
    >();
  });

  it("types ctx.state.authContext as ThrottleContext<User>", () => {
    new Koa().use(koaAdapter.auth({ schemes: [basic], ...pipeline })).use(async (ctx) => {
      expectTypeOf(ctx.state.authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
      await checkObjectPermissions(ctx.state.authContext, { id: 1 });
    });
    new Koa().use(koaAdapter.auth({ schemes: [basic], required: false, ...pipeline })).use((ctx) => {
      expectTypeOf(ctx.state.authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
    });
    const { auth } = koaAdapter.createAuth({ schemes: [basic], ...pipeline });
    new Koa().use(auth({ permissions: [IsVerified], throttles: [] })).use((ctx) => {
      expectTypeOf(ctx.state.authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
    });
  });

  it("types ctx.state for the middleware chained after it", () => {
    new Koa().use(koaAdapter.auth({ schemes: [basic] })).use((ctx) => {
      expectTypeOf(ctx.state.user).toEqualTypeOf<AppUser>();
      expectTypeOf(ctx.state.auth).toBeUnknown();
    });
    new Koa().use(koaAdapter.auth({ schemes: [basic], required: false })).use((ctx) => {
      expectTypeOf(ctx.state.user).toEqualTypeOf<AppUser | null>();
    });
    const { auth } = koaAdapter.createAuth({ schemes: [basic] });
    new Koa().use(auth()).use((ctx) => {
      expectTypeOf(ctx.state.user).toEqualTypeOf<AppUser>();
    });
  });

  it("carries createAuth's required: false to every route, unless the route says otherwise", () => {
    const { auth } = koaAdapter.createAuth({ schemes: [basic], required: false });
    expectTypeOf(auth()).toEqualTypeOf<Middleware<koaAdapter.AuthState<AppUser, false>>>();
    expectTypeOf(auth({ schemes: [basic] })).toEqualTypeOf<
      Middleware<koaAdapter.AuthState<AppUser, false>>
    >();
    expectTypeOf(auth({ required: true })).toEqualTypeOf<Middleware<koaAdapter.AuthState<AppUser, true>>>();
    new Koa().use(auth()).use((ctx) => {
      expectTypeOf(ctx.state.user).toEqualTypeOf<AppUser | null>();
    });
  });
});

describe("portcullis/express", () => {
  // A global augmentation of Express.Request's `user` (@types/passport's, loaded here by bench/passport.ts
  // as in any app that uses passport) intersects with the one AuthenticatedRequest adds, unless it omits it.
  it("types AuthenticatedRequest's user", () => {
    expectTypeOf<expressAdapter.AuthenticatedRequest<AppUser>["user"]>().toEqualTypeOf<AppUser>();
    expectTypeOf<
      expressAdapter.AuthenticatedRequest<AppUser, false>["user"]
    >().toEqualTypeOf<AppUser | null>();
    expectTypeOf<expressAdapter.AuthenticatedRequest<AppUser>["auth"]>().toBeUnknown();
  });

  it("types req.authContext as ThrottleContext<User>, and takes the pipeline's options", () => {
    expectTypeOf<expressAdapter.AuthenticatedRequest<AppUser>["authContext"]>().toEqualTypeOf<
      ThrottleContext<AppUser>
    >();
    expectTypeOf<expressAdapter.AuthenticatedRequest<AppUser, false>["authContext"]>().toEqualTypeOf<
      ThrottleContext<AppUser>
    >();
    const options: expressAdapter.ExpressAuthOptions<AppUser> = { schemes: [basic], ...pipeline };
    const route: Partial<expressAdapter.ExpressAuthOptions<AppUser>> = {
      permissions: [IsVerified],
      throttles: [],
    };
    expectTypeOf(options.permissions).toEqualTypeOf<readonly Permission<AppUser>[] | undefined>();
    expectTypeOf(route.throttles).toEqualTypeOf<readonly Throttle<AppUser>[] | undefined>();
  });

  it("takes onError, with the Express request", () => {
    expectTypeOf<expressAdapter.ExpressAuthOptions<AppUser>["onError"]>().toEqualTypeOf<
      ((error: unknown, req: import("express").Request) => void) | undefined
    >();
  });
});

describe("portcullis/fastify", () => {
  it("types AuthenticatedRequest's user", () => {
    expectTypeOf<fastifyAdapter.AuthenticatedRequest<AppUser>["user"]>().toEqualTypeOf<AppUser>();
    expectTypeOf<
      fastifyAdapter.AuthenticatedRequest<AppUser, false>["user"]
    >().toEqualTypeOf<AppUser | null>();
    expectTypeOf<fastifyAdapter.AuthenticatedRequest<AppUser>>().toMatchTypeOf<FastifyRequest>();
  });

  it("types request.authContext as ThrottleContext<User>, and takes the pipeline's options", () => {
    expectTypeOf<fastifyAdapter.AuthenticatedRequest<AppUser>["authContext"]>().toEqualTypeOf<
      ThrottleContext<AppUser>
    >();
    expectTypeOf<fastifyAdapter.AuthenticatedRequest<AppUser, false>["authContext"]>().toEqualTypeOf<
      ThrottleContext<AppUser>
    >();
    const options: fastifyAdapter.FastifyAuthOptions<AppUser> = { schemes: [basic], ...pipeline };
    const route: Partial<fastifyAdapter.FastifyAuthOptions<AppUser>> = {
      permissions: [IsVerified],
      throttles: [],
    };
    expectTypeOf(options.permissions).toEqualTypeOf<readonly Permission<AppUser>[] | undefined>();
    expectTypeOf(route.throttles).toEqualTypeOf<readonly Throttle<AppUser>[] | undefined>();
  });
});

describe("portcullis/node", () => {
  it("resolves to the request typed with the schemes' user; User | null with required: false", async () => {
    const req = {} as IncomingMessage;
    const res = {} as ServerResponse;
    const authed = await nodeAdapter.auth({ schemes: [basic] })(req, res);
    expectTypeOf(authed).toEqualTypeOf<nodeAdapter.AuthenticatedRequest<
      AppUser,
      true,
      IncomingMessage
    > | null>();
    if (authed) {
      expectTypeOf(authed.user).toEqualTypeOf<AppUser>();
      expectTypeOf(authed.auth).toBeUnknown();
      expectTypeOf(authed.headers).toEqualTypeOf<IncomingMessage["headers"]>();
    }
    const optional = await nodeAdapter.auth({ schemes: [basic], required: false })(req, res);
    if (optional) expectTypeOf(optional.user).toEqualTypeOf<AppUser | null>();
    // An HTTP/2 compatibility request stays one.
    const h2 = await nodeAdapter.auth({ schemes: [basic] })(
      {} as Http2ServerRequest,
      {} as Http2ServerResponse,
    );
    if (h2) expectTypeOf(h2.stream).toEqualTypeOf<Http2ServerRequest["stream"]>();
  });

  it("types req.authContext as ThrottleContext<User>", async () => {
    const req = {} as IncomingMessage;
    const res = {} as ServerResponse;
    const authed = await nodeAdapter.auth({ schemes: [basic], ...pipeline })(req, res);
    if (authed) {
      expectTypeOf(authed.authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
      await checkObjectPermissions(authed.authContext, { id: 1 });
    }
    const optional = await nodeAdapter.auth({ schemes: [basic], required: false, ...pipeline })(req, res);
    if (optional) expectTypeOf(optional.authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
    const project = nodeAdapter.createAuth({ schemes: [basic], ...pipeline });
    const routed = await project.auth({ permissions: [IsVerified], throttles: [] })(req, res);
    if (routed) expectTypeOf(routed.authContext).toEqualTypeOf<ThrottleContext<AppUser>>();
  });

  it("types createAuth's routes, and onError with the node request", async () => {
    const project = nodeAdapter.createAuth({ schemes: [basic] });
    const me = await project.auth()({} as IncomingMessage, {} as ServerResponse);
    if (me) expectTypeOf(me.user).toEqualTypeOf<AppUser>();
    const feed = await project.auth({ required: false })({} as IncomingMessage, {} as ServerResponse);
    if (feed) expectTypeOf(feed.user).toEqualTypeOf<AppUser | null>();
    expectTypeOf<nodeAdapter.NodeAuthOptions<AppUser>["onError"]>().toEqualTypeOf<
      ((error: unknown, req: nodeAdapter.NodeRequest) => void) | undefined
    >();
    // @ts-expect-error: a scheme of another user type
    nodeAdapter.auth<AppUser>({ schemes: [other] });
  });
});
