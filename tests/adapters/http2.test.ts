/**
 * HTTP/2 through node:http2's compatibility API (h2c on 127.0.0.1): `req.headers` holds the
 * pseudo-headers (`:method`, `:path`, `:authority`, `:scheme`), which are no Fetch header names, and
 * usually no `Host`. Express does not run on it (it swaps the request's prototype for node:http's).
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fastifyAdapter from "../../src/adapters/fastify.js";
import * as koaAdapter from "../../src/adapters/koa.js";
import { sendAuthError, sendFetchResponse, toAuthRequest, toFetchRequest } from "../../src/adapters/node.js";
import { authenticate } from "../../src/index.js";
import { ADA, allowed, GOOD_BASIC, Jar, NOT_AUTHENTICATED, read, refusal } from "./suite.js";
import { h2Request } from "./wire.js";
import { PASSWORD, type World, whoAmI, world } from "./world.js";

let w: World;
beforeAll(async () => {
  w = await world();
});

async function listenH2(server: http2.Http2Server): Promise<{ origin: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** csrf → login (Origin checked against the request's URL) → a session- and CSRF-checked POST. */
async function loginAndPost(origin: string, paths: { csrf: string; login: string; ping: string }) {
  const jar = new Jar();
  const csrf = jar.take(await h2Request(origin, { ":path": paths.csrf }));
  expect(csrf.status).toBe(200);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const login = await h2Request(
    origin,
    {
      ":method": "POST",
      ":path": paths.login,
      "content-type": "application/json",
      origin,
      cookie: jar.header,
      "x-csrftoken": csrfToken,
    },
    JSON.stringify({ username: "ada", password: PASSWORD }),
  );
  expect(login.status).toBe(200);
  expect(await login.clone().text()).toBe(JSON.stringify(ADA));
  jar.take(login);
  const token = jar.cookies.get("csrftoken")!;
  const headers = { ":method": "POST", ":path": paths.ping, origin, cookie: jar.header };
  const ping = await h2Request(origin, { ...headers, "x-csrftoken": token });
  const forged = await h2Request(origin, { ...headers, origin: "http://evil.example" });
  return { ping, forged };
}

const FORGED = refusal(403, {
  detail: "CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins.",
  code: "permission_denied",
});

describe("portcullis/node over HTTP/2 (http2.createServer)", () => {
  let server: { origin: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await listenH2(
      http2.createServer(async (req, res) => {
        if (req.url === "/csrf/")
          return sendFetchResponse(res, await w.views.session.csrf(toFetchRequest(req)));
        const view = toAuthRequest(req);
        const result = await authenticate(view, [w.schemes.basic]);
        if (sendAuthError(res, result)) return;
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({ url: view.url, host: view.headers.get("host"), path: view.headers.get(":path") }),
        );
      }),
    );
  });
  afterAll(() => server.close());

  it("builds the view's URL from :scheme and :authority", async () => {
    const response = await h2Request(server.origin, { ":path": "/me/?q=1", authorization: GOOD_BASIC });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ url: `${server.origin}/me/?q=1`, host: null, path: "/me/?q=1" });
  });

  it("answers 401 with the challenge and DRF's body", async () => {
    expect(await read(await h2Request(server.origin, { ":path": "/me/" }))).toEqual(
      refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
    );
  });

  it("builds a Fetch Request without the pseudo-headers (the csrf handler answers 200)", async () => {
    const response = await h2Request(server.origin, { ":path": "/csrf/" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(Object.keys((await response.json()) as object)).toEqual(["csrfToken"]);
  });
});

describe("portcullis/fastify with http2: true", () => {
  let app: FastifyInstance;
  let origin: string;
  beforeAll(async () => {
    app = Fastify({ http2: true }) as unknown as FastifyInstance;
    await app.register(fastifyAdapter.plugin);
    const answer = async (request: unknown) => {
      const { user, auth } = request as fastifyAdapter.AuthenticatedRequest<unknown>;
      return whoAmI(user, auth);
    };
    const { session, basic } = w.schemes;
    app.get("/api/me/", { preHandler: fastifyAdapter.auth({ schemes: [basic] }) }, answer);
    app.post("/api/ping/", { preHandler: fastifyAdapter.auth({ schemes: [session, basic] }) }, answer);
    await app.register(fastifyAdapter.mount(w.views.jwt.obtainPair), { prefix: "/api/token/" });
    await app.register(fastifyAdapter.mount(w.views.session.csrf), { prefix: "/api/session/csrf/" });
    await app.register(fastifyAdapter.mount(w.views.session.login), { prefix: "/api/session/login/" });
    origin = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(() => app.close());

  it("authenticates and refuses as over HTTP/1.1", async () => {
    expect(
      await read(await h2Request(origin, { ":path": "/api/me/", authorization: GOOD_BASIC })),
    ).toMatchObject(allowed(ADA, null));
    expect(await read(await h2Request(origin, { ":path": "/api/me/" }))).toEqual(
      refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
    );
  });

  it("serves a mounted handler (JWT obtain pair)", async () => {
    const response = await h2Request(
      origin,
      { ":method": "POST", ":path": "/api/token/", "content-type": "application/json" },
      JSON.stringify({ username: "ada", password: PASSWORD }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(Object.keys((await response.json()) as object)).toEqual(["refresh", "access"]);
  });

  it("logs in with CSRF (Origin checked) and reaches a session-protected POST route", async () => {
    const { ping, forged } = await loginAndPost(origin, {
      csrf: "/api/session/csrf/",
      login: "/api/session/login/",
      ping: "/api/ping/",
    });
    expect(await read(ping)).toMatchObject(allowed(ADA, "session"));
    expect(await read(forged)).toEqual(FORGED);
  });
});

describe("portcullis/koa on http2.createServer", () => {
  let server: { origin: string; close(): Promise<void> };
  beforeAll(async () => {
    const { session, basic } = w.schemes;
    const routes: Record<string, Koa.Middleware> = {
      "/csrf/": koaAdapter.mount(w.views.session.csrf),
      "/login/": koaAdapter.mount(w.views.session.login),
    };
    const koa = new Koa();
    koa.use((ctx, next) => routes[ctx.path]?.(ctx, next) ?? next());
    koa.use(koaAdapter.auth({ schemes: [session, basic] })).use((ctx) => {
      ctx.body = whoAmI(ctx.state.user, ctx.state.auth);
    });
    server = await listenH2(http2.createServer(koa.callback()));
  });
  afterAll(() => server.close());

  it("logs in with CSRF (Origin checked) and reaches a session-protected POST", async () => {
    const { ping, forged } = await loginAndPost(server.origin, {
      csrf: "/csrf/",
      login: "/login/",
      ping: "/ping/",
    });
    expect(await read(ping)).toMatchObject(allowed(ADA, "session"));
    expect(await read(forged)).toEqual(FORGED);
  });
});
