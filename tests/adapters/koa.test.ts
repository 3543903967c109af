import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { parse as parseQuery } from "node:querystring";
import Koa, { type Context, type Middleware, type Next } from "koa";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuthState, auth, createAuth, mount } from "../../src/adapters/koa.js";
import type { DefaultUser } from "../../src/index.js";
import { type Listening, listen } from "./listen.js";
import {
  ADA,
  BOOM_REPORTED,
  describeAdapter,
  expectLastUsernameCounts,
  GOOD_BASIC,
  Jar,
  NOT_AUTHENTICATED,
  type Reported,
  read,
  refusal,
  SERVER_ERROR,
} from "./suite.js";
import { FAILING_ENDPOINTS, PASSWORD, RAISED, type World, whoAmI, world } from "./world.js";

/** A route without a router package: the method(s), the exact path, then the middleware in turn. */
function route(methods: string[], path: string, ...stack: Middleware[]): Middleware {
  const run = (ctx: Context, i: number): Promise<void> =>
    i === stack.length ? Promise.resolve() : Promise.resolve(stack[i]!(ctx, () => run(ctx, i + 1)));
  return (ctx, next) => (ctx.path === path && methods.includes(ctx.method) ? run(ctx, 0) : next());
}

const answer: Middleware<AuthState<DefaultUser, false>> = (ctx) => {
  ctx.body = whoAmI(ctx.state.user, ctx.state.auth);
};

/** A body parser of the kind koa-bodyparser is: it reads the stream and leaves `ctx.request.body`. */
const jsonBody: Middleware = async (ctx: Context, next: Next) => {
  if (ctx.is("application/json")) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  }
  await next();
};

// As koa-bodyparser reads a form: a repeated field becomes an array.
const formBody: Middleware = async (ctx: Context, next: Next) => {
  if (ctx.is("application/x-www-form-urlencoded")) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    (ctx.request as { body?: unknown }).body = parseQuery(Buffer.concat(chunks).toString("utf8"));
  }
  await next();
};

function app(w: World, before: Middleware[] = []): Koa {
  const { basic, token, bearer, session, locked, boom, down } = w.schemes;
  const project = createAuth<DefaultUser>({ schemes: [basic] });
  const koa = new Koa();
  for (const middleware of before) koa.use(middleware);
  const guarded = (path: string, guard: Middleware, methods = ["GET"]) =>
    koa.use(route(methods, path, guard as Middleware, answer as Middleware));
  guarded("/api/me/", auth({ schemes: [basic, token, bearer] }));
  guarded("/api/feed/", auth({ schemes: [basic, token, bearer], required: false }));
  guarded("/api/ping/", auth({ schemes: [session, basic] }), ["GET", "POST"]);
  guarded("/api/locked/", auth({ schemes: [basic, locked] }));
  guarded("/api/boom/", auth({ schemes: [boom] }));
  guarded("/api/down/", auth({ schemes: [down] }));
  guarded("/api/default/", project.auth());
  guarded("/api/override/", project.auth({ schemes: [token] }));
  guarded("/api/default-optional/", project.auth({ required: false }));
  const all = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  koa.use(route(all, "/api/token/", mount(w.views.jwt.obtainPair)));
  koa.use(route(all, "/api/token/refresh/", mount(w.views.jwt.refresh)));
  koa.use(route(all, "/api/session/csrf/", mount(w.views.session.csrf)));
  koa.use(route(all, "/api/session/login/", mount(w.views.session.login)));
  const raise =
    (kind: keyof typeof RAISED): Middleware =>
    async () => {
      throw RAISED[kind]();
    };
  koa.use(
    route(
      ["GET"],
      "/api/raise/denied/",
      auth({ schemes: [basic, token, bearer] }) as Middleware,
      raise("denied"),
    ),
  );
  koa.use(
    route(
      ["GET"],
      "/api/raise/not-authenticated/",
      auth({ schemes: [basic, token, bearer] }) as Middleware,
      raise("not-authenticated"),
    ),
  );
  koa.use(
    route(
      ["GET"],
      "/api/raise/failed-session-first/",
      auth({ schemes: [session, basic] }) as Middleware,
      raise("failed-session-first"),
    ),
  );
  for (const [path, failing] of Object.entries(FAILING_ENDPOINTS)) koa.use(route(all, path, mount(failing)));
  koa.use(route(all, "/api/token/missing-table/", mount(w.views.missingTable.obtainPair)));
  return koa;
}

/** The app's own error middleware, of the kind that leaks: what reaches it is sent as is. */
const leaky: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    ctx.status = 500;
    ctx.body = { code: (error as { code?: unknown }).code, message: (error as Error).message };
  }
};

function toReported(error: unknown): Reported {
  return { name: (error as Error).name, message: (error as Error).message };
}

describeAdapter(
  "portcullis/koa",
  async (w) => {
    const reported: Reported[] = [];
    const koa = app(w, [leaky]);
    koa.on("error", (error: unknown, ctx: Context) => {
      expect(ctx.path).toMatch(/^\/api\//);
      reported.push(toReported(error));
    });
    const running = await listen(createServer(koa.callback()));
    return { fetch: running.fetch, reported: () => reported, close: running.close };
  },
  { answersServerErrors: true },
);

describe("portcullis/koa", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
    vi.restoreAllMocks();
  });

  it("without an 'error' listener, Koa's own onerror logs the broken scheme", async () => {
    const w = await world();
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    running = await listen(createServer(app(w).callback()));
    expect(await read(await running.fetch("/api/boom/"))).toEqual(refusal(500, SERVER_ERROR));
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0]![0])).toContain(`${BOOM_REPORTED.name}: ${BOOM_REPORTED.message}`);
  });

  it("never runs the downstream middleware for a refused request", async () => {
    const w = await world();
    const downstream = vi.fn();
    const koa = new Koa().use(auth({ schemes: [w.schemes.basic] })).use((ctx) => {
      downstream();
      ctx.body = { username: ctx.state.user.username };
    });
    running = await listen(createServer(koa.callback()));
    expect((await running.fetch("/")).status).toBe(401);
    expect(downstream).not.toHaveBeenCalled();
    const ok = await running.fetch("/", { headers: { Authorization: GOOD_BASIC } });
    expect(await ok.json()).toEqual({ username: "ada" });
    expect(downstream).toHaveBeenCalledTimes(1);
  });

  it("lets downstream middleware run after next() and keeps what it answered", async () => {
    const w = await world();
    const order: string[] = [];
    const koa = new Koa()
      .use(async (ctx, next) => {
        order.push("outer in");
        await next();
        order.push(`outer out ${ctx.status}`);
      })
      .use(auth({ schemes: [w.schemes.basic] }))
      .use((ctx) => {
        order.push("route");
        ctx.status = 201;
        ctx.set("X-Mine", "1");
        ctx.body = `hello ${ctx.state.user.username}`;
      });
    running = await listen(createServer(koa.callback()));
    const response = await running.fetch("/", { headers: { Authorization: GOOD_BASIC } });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-mine")).toBe("1");
    expect(await response.text()).toBe("hello ada");
    expect(order).toEqual(["outer in", "route", "outer out 201"]);
  });

  it("mounts the login after a body parser (the parsed body is replayed)", async () => {
    const w = await world();
    running = await listen(createServer(app(w, [jsonBody]).callback()));
    const jar = new Jar();
    const csrf = jar.take(await running.fetch("/api/session/csrf/"));
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const login = await running.fetch("/api/session/login/", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Cookie: jar.header },
      body: JSON.stringify({ username: "ada", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.getSetCookie()).toHaveLength(2);
    expect(await login.text()).toBe(JSON.stringify(ADA));

    const obtained = await running.fetch("/api/token/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "ada", password: PASSWORD }),
    });
    expect(obtained.status).toBe(200);
  });

  it("replays a parsed form's repeated field once per value: its last value counts, as in Django", async () => {
    const w = await world();
    running = await listen(createServer(app(w, [formBody]).callback()));
    await expectLastUsernameCounts(running.fetch, w);
  });

  it("sends a mounted handler's null body as no body, even under a JSON Content-Type (Koa 3 would send null)", async () => {
    const koa = new Koa().use(
      mount(async () => new Response(null, { headers: { "Content-Type": "application/json", "X-A": "1" } })),
    );
    running = await listen(createServer(koa.callback()));
    const response = await running.fetch("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-a")).toBe("1");
    expect(response.headers.get("content-length")).toBe("0");
    expect(await response.text()).toBe("");
    const redirect = new Koa().use(mount(async () => Response.redirect("http://localhost/next/", 302)));
    await running.close();
    running = await listen(createServer(redirect.callback()));
    const moved = await running.fetch("/", { redirect: "manual" });
    expect(moved.status).toBe(302);
    expect(moved.headers.get("location")).toBe("http://localhost/next/");
    expect(await moved.text()).toBe("");
  });

  it("answers a mounted handler's bodiless response with its status", async () => {
    const koa = new Koa().use(
      mount(async () => new Response(null, { status: 204, headers: { "X-Done": "1" } })),
    );
    running = await listen(createServer(koa.callback()));
    const response = await running.fetch("/", { method: "POST" });
    expect(response.status).toBe(204);
    expect(response.headers.get("x-done")).toBe("1");
    expect(await response.text()).toBe("");
  });
});

// Koa 2 is a supported peer (`koa@^2.15`): the dev dependency `koa2` is koa@2.
describe("portcullis/koa under Koa 2", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
    vi.restoreAllMocks();
  });

  async function koa2App(...stack: Middleware[]): Promise<Koa> {
    const Koa2 = createRequire(import.meta.url)("koa2") as typeof Koa;
    const root = dirname(createRequire(import.meta.url).resolve("koa2/package.json"));
    expect(JSON.parse(readFileSync(`${root}/package.json`, "utf8")).version).toMatch(/^2\./);
    const app = new Koa2();
    app.silent = true;
    for (const middleware of stack) app.use(middleware);
    return app;
  }

  it("answers refusals and server errors with Content-Type exactly application/json", async () => {
    const w = await world();
    const app = await koa2App(
      route(["GET"], "/boom/", auth({ schemes: [w.schemes.boom] }) as Middleware),
      auth({
        schemes: [w.schemes.basic],
      }) as Middleware,
    );
    running = await listen(createServer(app.callback()));
    expect(await read(await running.fetch("/me/"))).toEqual(
      refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
    );
    expect(await read(await running.fetch("/boom/"))).toEqual(refusal(500, SERVER_ERROR));
  });

  it("sends a mounted handler's null body as no body", async () => {
    const app = await koa2App(
      mount(async () => new Response(null, { headers: { "Content-Type": "application/json" } })),
    );
    running = await listen(createServer(app.callback()));
    const response = await running.fetch("/");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });
});
