// The pipeline table of ./pipeline.ts served by each adapter through its real framework over HTTP.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa, { type Context, type Middleware } from "koa";
import * as expressAdapter from "../../src/adapters/express.js";
import * as fastifyAdapter from "../../src/adapters/fastify.js";
import * as fetchAdapter from "../../src/adapters/fetch.js";
import * as honoAdapter from "../../src/adapters/hono.js";
import * as koaAdapter from "../../src/adapters/koa.js";
import * as nodeAdapter from "../../src/adapters/node.js";
import type { AuthOptions } from "../../src/core/guard.js";
import type { DefaultUser } from "../../src/index.js";
import { listen } from "./listen.js";
import { describePipeline, type PipelineHarness } from "./pipeline.js";
import { type PipelineRoute, type PipelineWorld, view } from "./pipeline-world.js";
import type { Reported } from "./suite.js";

/** The route's own options: every route without a project names its schemes. */
const own = (route: PipelineRoute) => route.options as AuthOptions<DefaultUser>;

/** Collects what the app reports. */
function reporter(): { reported: Reported[]; report: (error: unknown) => void } {
  const reported: Reported[] = [];
  return {
    reported,
    report: (error) => reported.push({ name: (error as Error).name, message: (error as Error).message }),
  };
}

async function expressApp(w: PipelineWorld): Promise<PipelineHarness> {
  const { reported, report } = reporter();
  const onError = report;
  const app = express();
  for (const route of w.routes) {
    const guard = route.project
      ? expressAdapter.createAuth({ ...route.project, onError }).auth(route.options)
      : expressAdapter.auth({ ...own(route), onError });
    const handler: express.RequestHandler = async (req, res) => {
      const authed = req as expressAdapter.AuthenticatedRequest<DefaultUser, false>;
      res.json(await view(route, authed.authContext, authed.user, req.originalUrl));
    };
    for (const method of route.methods) app[method === "GET" ? "get" : "post"](route.path, guard, handler);
  }
  app.all("/api/login/", expressAdapter.mount(w.login, { onError }));
  const running = await listen(createServer(app));
  return { fetch: running.fetch, reported: () => reported, close: running.close };
}

async function fastifyApp(w: PipelineWorld): Promise<PipelineHarness> {
  const reported: Reported[] = [];
  const stream = {
    write: (line: string) => {
      const { err } = JSON.parse(line) as { err?: { type: string; message: string } };
      if (err) reported.push({ name: err.type, message: err.message });
    },
  };
  const app = Fastify({ logger: { level: "error", stream } });
  await app.register(fastifyAdapter.plugin);
  for (const route of w.routes) {
    const preHandler = route.project
      ? fastifyAdapter.createAuth(route.project).auth(route.options)
      : fastifyAdapter.auth(own(route));
    app.route({
      method: [...route.methods],
      url: route.path,
      preHandler,
      handler: async (request) => {
        const authed = request as fastifyAdapter.AuthenticatedRequest<DefaultUser, false>;
        return view(route, authed.authContext, authed.user, request.url);
      },
    });
  }
  await app.register(fastifyAdapter.mount(w.login), { prefix: "/api/login/" });
  const origin = await app.listen({ port: 0, host: "127.0.0.1" });
  return {
    fetch: (path, init) => fetch(`${origin}${path}`, init),
    reported: () => reported,
    close: () => app.close(),
  };
}

/** A Koa route without a router package: the methods, the exact path, then the middleware in turn. */
function koaRoute(methods: readonly string[], path: string, ...stack: Middleware[]): Middleware {
  const run = (ctx: Context, i: number): Promise<void> =>
    i === stack.length ? Promise.resolve() : Promise.resolve(stack[i]!(ctx, () => run(ctx, i + 1)));
  return (ctx, next) => (ctx.path === path && methods.includes(ctx.method) ? run(ctx, 0) : next());
}

async function koaApp(w: PipelineWorld): Promise<PipelineHarness> {
  const { reported, report } = reporter();
  const koa = new Koa();
  koa.on("error", report);
  for (const route of w.routes) {
    const guard = route.project
      ? koaAdapter.createAuth(route.project).auth(route.options)
      : koaAdapter.auth(own(route));
    const handler: Middleware<koaAdapter.AuthState<DefaultUser, false>> = async (ctx) => {
      ctx.body = await view(route, ctx.state.authContext, ctx.state.user, ctx.originalUrl);
    };
    koa.use(koaRoute(route.methods, route.path, guard as Middleware, handler as Middleware));
  }
  koa.use(koaRoute(["POST"], "/api/login/", koaAdapter.mount(w.login)));
  const running = await listen(createServer(koa.callback()));
  return { fetch: running.fetch, reported: () => reported, close: running.close };
}

async function honoApp(w: PipelineWorld): Promise<PipelineHarness> {
  const { reported, report } = reporter();
  const onError = report;
  const hono = new Hono();
  for (const route of w.routes) {
    const guard = route.project
      ? honoAdapter.createAuth({ ...route.project, onError }).auth(route.options)
      : honoAdapter.auth({ ...own(route), onError });
    hono.on([...route.methods], route.path, guard, async (c) =>
      c.json(await view(route, c.get("authContext"), c.get("user"), c.req.url)),
    );
  }
  hono.all("/api/login/", honoAdapter.mount(w.login, { onError }));
  const running = await listen(createAdaptorServer({ fetch: hono.fetch }) as ReturnType<typeof createServer>);
  return { fetch: running.fetch, reported: () => reported, close: running.close };
}

type Served = (request: Request, env: unknown) => Promise<Response>;

/** Fetch handlers behind a path router, served by @hono/node-server (its second argument: `{ incoming }`). */
async function fetchApp(w: PipelineWorld): Promise<PipelineHarness> {
  const { reported, report } = reporter();
  const onError = report;
  const routes = new Map<string, { methods: readonly string[]; handler: Served }>();
  for (const route of w.routes) {
    const handler = async (
      request: Request,
      context: fetchAdapter.FetchAuthContext<DefaultUser | null>,
      _env: unknown,
    ) => Response.json(await view(route, context.authContext, context.user, request.url));
    const served = route.project
      ? fetchAdapter.createAuth({ ...route.project, onError }).withAuth(handler, route.options)
      : fetchAdapter.withAuth(handler, { ...own(route), onError });
    routes.set(route.path, { methods: route.methods, handler: served });
  }
  routes.set("/api/login/", { methods: ["POST"], handler: fetchAdapter.mount(w.login, { onError }) });
  const router = (request: Request, env: unknown): Promise<Response> => {
    const route = routes.get(new URL(request.url).pathname);
    if (!route?.methods.includes(request.method)) return Promise.resolve(new Response(null, { status: 404 }));
    return route.handler(request, env);
  };
  const running = await listen(createAdaptorServer({ fetch: router }) as ReturnType<typeof createServer>);
  return { fetch: running.fetch, reported: () => reported, close: running.close };
}

async function nodeApp(w: PipelineWorld): Promise<PipelineHarness> {
  const { reported, report } = reporter();
  const onError = report;
  const checks = new Map(
    w.routes.map((route) => {
      const check = route.project
        ? nodeAdapter.createAuth({ ...route.project, onError }).auth(route.options)
        : nodeAdapter.auth({ ...own(route), onError });
      return [route.path, { route, check }] as const;
    }),
  );
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/api/login/") {
      // portcullis/node has no mount: the app gives the endpoint the socket's address itself.
      const response = await w.login(nodeAdapter.toFetchRequest(req), {
        remoteAddress: req.socket.remoteAddress,
      });
      return nodeAdapter.sendFetchResponse(res, response);
    }
    const found = checks.get(path);
    if (!found?.route.methods.includes(req.method as "GET")) {
      res.writeHead(404).end();
      return;
    }
    const authed = await found.check(req, res);
    if (!authed) return;
    const body = await view(found.route, authed.authContext, authed.user, req.url ?? "/");
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    // The server's catch-all: what the handler throws after the check (checkObjectPermissions).
    handle(req, res).catch((error: unknown) => {
      nodeAdapter.sendAuthError(res, error instanceof Error ? error : new Error(String(error)));
    });
  });
  const running = await listen(server);
  return { fetch: running.fetch, reported: () => reported, close: running.close };
}

describePipeline("portcullis/express", expressApp);
describePipeline("portcullis/fastify", fastifyApp);
describePipeline("portcullis/koa", koaApp);
describePipeline("portcullis/hono on @hono/node-server", honoApp);
describePipeline("portcullis/fetch withAuth on @hono/node-server", fetchApp);
describePipeline("portcullis/node auth()", nodeApp);
