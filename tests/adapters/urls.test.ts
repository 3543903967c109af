/**
 * The request's URL as the framework sees it: the path before a router or mount rewrote it, and the
 * scheme and host a trusted proxy forwarded. The session login's CSRF Origin check compares against it.
 */
import { createServer } from "node:http";
import express, { type Express } from "express";
import Fastify from "fastify";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import * as expressAdapter from "../../src/adapters/express.js";
import * as fastifyAdapter from "../../src/adapters/fastify.js";
import * as koaAdapter from "../../src/adapters/koa.js";
import type { AuthRequest, BaseAuthentication } from "../../src/index.js";
import { type Listening, listen } from "./listen.js";
import { ADA, allowed, Jar, read, refusal } from "./suite.js";
import { PASSWORD, type World, whoAmI, world } from "./world.js";

/** A scheme that lets everyone in as the URL it was given. */
const echoUrl: BaseAuthentication<{ url: string }> = {
  name: "url",
  async authenticate(request: AuthRequest) {
    return { user: { url: request.url }, auth: null };
  },
};

/** What a TLS-terminating proxy that keeps `Host` (nginx's `proxy_set_header Host $host`) adds. */
const PROXIED = { "X-Forwarded-Proto": "https" };

/** The origin a browser talking to the proxy over https sends. */
const httpsOf = (running: { origin: string }) => `https://${new URL(running.origin).host}`;

/** csrf, then a JSON login from `origin` with the browser's headers `headers`. */
async function login(running: Listening, origin: string, headers: Record<string, string>) {
  const jar = new Jar();
  const csrf = jar.take(await running.fetch("/api/session/csrf/", { headers }));
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const response = await running.fetch("/api/session/login/", {
    method: "POST",
    headers: {
      ...headers,
      Origin: origin,
      Cookie: jar.header,
      "X-CSRFToken": csrfToken,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ username: "ada", password: PASSWORD }),
  });
  return { response: jar.take(response), jar };
}

function sessionApp(w: World, trustProxy: boolean): Express {
  const app = express();
  if (trustProxy) app.set("trust proxy", true);
  const api = express.Router();
  api.all("/session/csrf/", expressAdapter.mount(w.views.session.csrf));
  api.all("/session/login/", expressAdapter.mount(w.views.session.login));
  api.post("/ping/", expressAdapter.auth({ schemes: [w.schemes.session] }), (req, res) => {
    res.json(whoAmI(req.user, (req as unknown as { auth: unknown }).auth));
  });
  app.use("/api", api);
  return app;
}

describe("portcullis/express: the URL Express sees", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("behind `trust proxy` and X-Forwarded-Proto: https, a same-origin login and session POST pass CSRF", async () => {
    running = await listen(createServer(sessionApp(await world(), true)));
    const { response, jar } = await login(running, httpsOf(running), PROXIED);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(JSON.stringify(ADA));
    const post = (origin: string) =>
      running!.fetch("/api/ping/", {
        method: "POST",
        headers: {
          ...PROXIED,
          Origin: origin,
          Cookie: jar.header,
          "X-CSRFToken": jar.cookies.get("csrftoken")!,
        },
      });
    expect(await read(await post(httpsOf(running)))).toMatchObject(allowed(ADA, "session"));
    expect(await read(await post(running.origin))).toEqual(
      refusal(403, {
        detail: `CSRF Failed: Origin checking failed - ${running.origin} does not match any trusted origins.`,
        code: "permission_denied",
      }),
    );
  });

  it("without `trust proxy`, X-Forwarded-Proto is ignored: the https Origin is cross-origin", async () => {
    running = await listen(createServer(sessionApp(await world(), false)));
    const { response } = await login(running, httpsOf(running), PROXIED);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      detail: `CSRF Failed: Origin checking failed - ${httpsOf(running)} does not match any trusted origins.`,
    });
  });

  it("includes the mount path under app.use('/mounted', router) and a sub-app", async () => {
    const router = express.Router();
    router.get("/url", expressAdapter.auth({ schemes: [echoUrl] }), (req, res) => res.json(req.user));
    const sub = express();
    sub.get("/url", expressAdapter.auth({ schemes: [echoUrl] }), (req, res) => res.json(req.user));
    const app = express().use("/mounted", router).use("/sub", sub);
    running = await listen(createServer(app));
    const mounted = await running.fetch("/mounted/url?x=1");
    expect(await mounted.json()).toEqual({ url: `${running.origin}/mounted/url?x=1` });
    const subApp = await running.fetch("/sub/url?y=2");
    expect(await subApp.json()).toEqual({ url: `${running.origin}/sub/url?y=2` });
  });

  it("takes X-Forwarded-Host (its port kept) only when Express trusts the proxy", async () => {
    const app = (trust: boolean) => {
      const built = express();
      if (trust) built.set("trust proxy", "loopback");
      built.get("/url", expressAdapter.auth({ schemes: [echoUrl] }), (req, res) => res.json(req.user));
      return built;
    };
    const headers = {
      "X-Forwarded-Host": "api.example.com:8443, inner.example",
      "X-Forwarded-Proto": "https",
    };
    running = await listen(createServer(app(true)));
    expect(await (await running.fetch("/url", { headers })).json()).toEqual({
      url: "https://api.example.com:8443/url",
    });
    await running.close();
    running = await listen(createServer(app(false)));
    expect(await (await running.fetch("/url", { headers })).json()).toEqual({ url: `${running.origin}/url` });
  });
});

describe("portcullis/fastify: the URL Fastify sees", () => {
  it.each([
    [true, "https://app.example.com/url?q=1"],
    [false, "http://app.example.com/url?q=1"],
  ])("with trustProxy %s", async (trustProxy, url) => {
    const app = Fastify({ trustProxy });
    await app.register(fastifyAdapter.plugin);
    app.get(
      "/url",
      { preHandler: fastifyAdapter.auth({ schemes: [echoUrl] }) },
      async (request) => (request as fastifyAdapter.AuthenticatedRequest<{ url: string }>).user,
    );
    const headers = { host: "app.example.com", "x-forwarded-proto": "https" };
    const response = await app.inject({ url: "/url?q=1", headers });
    expect(response.json()).toEqual({ url });
    await app.close();
  });

  it("behind trustProxy and X-Forwarded-Proto: https, a same-origin login through mount passes CSRF", async () => {
    const w = await world();
    const app = Fastify({ trustProxy: true });
    await app.register(fastifyAdapter.mount(w.views.session.csrf), { prefix: "/api/session/csrf/" });
    await app.register(fastifyAdapter.mount(w.views.session.login), { prefix: "/api/session/login/" });
    const origin = await app.listen({ port: 0, host: "127.0.0.1" });
    const running = { origin, fetch: (path: string, init?: RequestInit) => fetch(`${origin}${path}`, init) };
    const { response } = await login(running as Listening, httpsOf(running), PROXIED);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(JSON.stringify(ADA));
    await app.close();
  });
});

describe("portcullis/koa: the URL Koa sees", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("is ctx.originalUrl under a mount that rewrites ctx.path, with app.proxy's protocol and host", async () => {
    const koa = new Koa({ proxy: true });
    // What koa-mount does: the mounted app sees the path without its prefix.
    koa.use(async (ctx, next) => {
      if (!ctx.path.startsWith("/mounted/")) return next();
      ctx.path = ctx.path.slice("/mounted".length);
      await next();
    });
    koa.use(koaAdapter.auth({ schemes: [echoUrl] })).use((ctx) => {
      ctx.body = { seen: ctx.url, user: ctx.state.user };
    });
    running = await listen(createServer(koa.callback()));
    const response = await running.fetch("/mounted/url?x=1", {
      headers: { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com" },
    });
    expect(await response.json()).toEqual({
      seen: "/url?x=1",
      user: { url: "https://app.example.com/mounted/url?x=1" },
    });
  });
});
