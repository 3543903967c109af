/**
 * createAuth's defaults with per-route override, key by key: a route's `undefined` keeps the project's
 * value (`auth({ required: undefined })` under `required: false` stays optional), in every adapter.
 */
import { createServer } from "node:http";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthOptions, withDefaults } from "../../src/adapter-kit.js";
import * as expressAdapter from "../../src/adapters/express.js";
import * as fastifyAdapter from "../../src/adapters/fastify.js";
import * as fetchAdapter from "../../src/adapters/fetch.js";
import * as honoAdapter from "../../src/adapters/hono.js";
import * as koaAdapter from "../../src/adapters/koa.js";
import type { DefaultUser } from "../../src/index.js";
import { type Listening, listen } from "./listen.js";
import { ADA, allowed, GOOD_BASIC, NOT_AUTHENTICATED, read, refusal } from "./suite.js";
import { type World, whoAmI, world } from "./world.js";

/**
 * | route | options on `createAuth({ schemes: [basic], required: false })` |
 * |---|---|
 * | /default/ | none |
 * | /undefined/ | `{ required: undefined, schemes: undefined }` |
 * | /required/ | `{ required: true }` |
 */
type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

let w: World;
const apps = new Map<string, Fetcher>();
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  w = await world();
  const project = { schemes: [w.schemes.basic], required: false } as const;

  const f = fetchAdapter.createAuth<DefaultUser, false>(project);
  const handler = (_request: Request, { user, auth }: { user: unknown; auth: unknown }) =>
    Response.json(whoAmI(user, auth));
  const fetchRoutes: Record<string, (request: Request) => Promise<Response>> = {
    "/default/": f.withAuth(handler),
    "/undefined/": f.withAuth(handler, { required: undefined, schemes: undefined }),
    "/required/": f.withAuth(handler, { required: true }),
  };
  apps.set("fetch", (path, init) => fetchRoutes[path]!(new Request(`http://localhost${path}`, init)));

  const h = honoAdapter.createAuth<DefaultUser, false>(project);
  const hono = new Hono();
  const honoAnswer = (c: { get(key: "user" | "auth"): unknown; json(body: unknown): Response }) =>
    c.json(whoAmI(c.get("user"), c.get("auth")));
  hono.get("/default/", h.auth(), (c) => honoAnswer(c));
  hono.get("/undefined/", h.auth({ required: undefined, schemes: undefined }), (c) => honoAnswer(c));
  hono.get("/required/", h.auth({ required: true }), (c) => honoAnswer(c));
  apps.set("hono", async (path, init) => hono.request(path, init));

  const e = expressAdapter.createAuth<DefaultUser>(project);
  const app = express();
  const expressAnswer: express.RequestHandler = (req, res) => {
    res.json(whoAmI(req.user, (req as unknown as { auth: unknown }).auth));
  };
  app.get("/default/", e.auth(), expressAnswer);
  app.get("/undefined/", e.auth({ required: undefined, schemes: undefined }), expressAnswer);
  app.get("/required/", e.auth({ required: true }), expressAnswer);
  const running: Listening = await listen(createServer(app));
  closers.push(running.close);
  apps.set("express", running.fetch);

  const k = koaAdapter.createAuth<DefaultUser, false>(project);
  const koaRoutes: Record<string, Koa.Middleware> = {
    "/default/": k.auth() as Koa.Middleware,
    "/undefined/": k.auth({ required: undefined, schemes: undefined }) as Koa.Middleware,
    "/required/": k.auth({ required: true }) as Koa.Middleware,
  };
  const koa = new Koa()
    .use((ctx, next) => koaRoutes[ctx.path]!(ctx, next))
    .use((ctx) => {
      ctx.body = whoAmI(ctx.state.user, ctx.state.auth);
    });
  const koaRunning = await listen(createServer(koa.callback()));
  closers.push(koaRunning.close);
  apps.set("koa", koaRunning.fetch);

  const z = fastifyAdapter.createAuth<DefaultUser>(project);
  const fastify = Fastify();
  await fastify.register(fastifyAdapter.plugin);
  const fastifyAnswer = async (request: unknown) => {
    const { user, auth } = request as fastifyAdapter.AuthenticatedRequest<DefaultUser, false>;
    return whoAmI(user, auth);
  };
  fastify.get("/default/", { preHandler: z.auth() }, fastifyAnswer);
  fastify.get(
    "/undefined/",
    { preHandler: z.auth({ required: undefined, schemes: undefined }) },
    fastifyAnswer,
  );
  fastify.get("/required/", { preHandler: z.auth({ required: true }) }, fastifyAnswer);
  const origin = await fastify.listen({ port: 0, host: "127.0.0.1" });
  closers.push(() => fastify.close());
  apps.set("fastify", (path, init) => fetch(`${origin}${path}`, init));
});
afterAll(async () => {
  for (const close of closers) await close();
});

describe.each(["fetch", "hono", "express", "koa", "fastify"])(
  "%s: createAuth({ schemes, required: false })",
  (name) => {
    const get = (path: string, headers: Record<string, string> = {}) => apps.get(name)!(path, { headers });

    it("auth() lets an anonymous request through", async () => {
      expect(await read(await get("/default/"))).toMatchObject(allowed(null, null));
    });

    it("auth({ required: undefined, schemes: undefined }) keeps both of the project's values", async () => {
      expect(await read(await get("/undefined/"))).toMatchObject(allowed(null, null));
      expect(await read(await get("/undefined/", { Authorization: GOOD_BASIC }))).toMatchObject(
        allowed(ADA, null),
      );
    });

    it("auth({ required: true }) refuses an anonymous request", async () => {
      expect(await read(await get("/required/"))).toEqual(
        refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
      );
    });
  },
);

describe("withDefaults", () => {
  it("merges key by key, skipping the route's undefined values, and copies", () => {
    const schemes = [w.schemes.basic];
    const defaults = { schemes, required: false };
    const route = { required: undefined, schemes: undefined };
    const merged = withDefaults(defaults, route);
    expect(merged).toEqual({ schemes, required: false });
    expect(merged).not.toBe(defaults);
    expect(defaults).toEqual({ schemes, required: false });
    expect(withDefaults(defaults, { required: true })).toEqual({ schemes, required: true });
    // No schemes: a route open to anyone (DRF's `authentication_classes = ()`), only with required false.
    expect(withDefaults(defaults, { schemes: [] })).toEqual({ schemes: [], required: false });
    expect(() => withDefaults(defaults, { schemes: [], required: true })).toThrow(TypeError);
    // A route's permissions replace the project's required, unless the route gives required itself.
    const strict: AuthOptions<unknown> = { schemes, required: true };
    expect(withDefaults(strict, { permissions: [] })).toEqual({ schemes, permissions: [] });
    expect(withDefaults(strict, { permissions: [], required: true })).toEqual({
      schemes,
      permissions: [],
      required: true,
    });
  });
});
