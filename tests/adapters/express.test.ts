import { createServer, IncomingMessage } from "node:http";
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from "express";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuthenticatedRequest, auth, createAuth, mount } from "../../src/adapters/express.js";
import { type DefaultUser, SchemeError } from "../../src/index.js";
import { type Listening, listen } from "./listen.js";
import {
  ADA,
  BOOM_REPORTED,
  DOWN_REPORTED,
  describeAdapter,
  GOOD_BASIC,
  Jar,
  PASSWORD_FORM,
  type Reported,
  read,
  refusal,
  SERVER_ERROR,
  UNAVAILABLE,
} from "./suite.js";
import { PASSWORD, type World, whoAmI, world } from "./world.js";

const answer: RequestHandler = (req, res) => {
  const { user, auth: proof } = req as AuthenticatedRequest<DefaultUser, false>;
  res.json(whoAmI(user, proof));
};

/** The shared routes; `before` runs first (body parsers), `after` last (error middleware). */
function app(w: World, hooks: { before?: RequestHandler[]; after?: ErrorRequestHandler[] } = {}): Express {
  const { basic, token, bearer, session, locked, boom, down } = w.schemes;
  const project = createAuth<DefaultUser>({ schemes: [basic] });
  const server = express();
  for (const hook of hooks.before ?? []) server.use(hook);
  server.get("/api/me/", auth({ schemes: [basic, token, bearer] }), answer);
  server.get("/api/feed/", auth({ schemes: [basic, token, bearer], required: false }), answer);
  server.all("/api/ping/", auth({ schemes: [session, basic] }), answer);
  server.get("/api/locked/", auth({ schemes: [basic, locked] }), answer);
  server.get("/api/boom/", auth({ schemes: [boom] }), answer);
  server.get("/api/down/", auth({ schemes: [down] }), answer);
  server.get("/api/default/", project.auth(), answer);
  server.get("/api/override/", project.auth({ schemes: [token] }), answer);
  server.get("/api/default-optional/", project.auth({ required: false }), answer);
  server.all("/api/token/", mount(w.views.jwt.obtainPair));
  server.all("/api/token/refresh/", mount(w.views.jwt.refresh));
  server.all("/api/session/csrf/", mount(w.views.session.csrf));
  server.all("/api/session/login/", mount(w.views.session.login));
  for (const hook of hooks.after ?? []) server.use(hook);
  return server;
}

/** What an app's JSON error middleware sends (exactly `application/json`, as DRF). */
function sendJson(res: Response, status: number, body: object): void {
  res.status(status).setHeader("Content-Type", "application/json");
  res.end(JSON.stringify(body));
}

function toReported(error: unknown): Reported {
  return { name: (error as Error).name, message: (error as Error).message };
}

describeAdapter(
  "portcullis/express",
  async (w) => {
    const running = await listen(createServer(app(w)));
    return { fetch: running.fetch, reported: () => [], close: running.close };
  },
  { answersServerErrors: false },
);

describe("portcullis/express: a broken scheme goes to Express's error handling", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
    vi.restoreAllMocks();
  });

  it("Express's default handler answers 500 (HTML), never the route", async () => {
    const w = await world();
    const server = app(w);
    server.set("env", "production");
    running = await listen(createServer(server));
    const response = await running.fetch("/api/boom/");
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain("<pre>Internal Server Error</pre>");
    expect(html).not.toContain("ada");
  });

  it("Express's default handler outside production shows the stack, as for any error (Express's choice)", async () => {
    const w = await world();
    running = await listen(createServer(app(w)));
    const response = await running.fetch("/api/boom/");
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("SchemeError: Authentication scheme &quot;boom&quot; failed");
  });

  it("Express's default handler answers a store that cannot answer 503", async () => {
    const w = await world();
    const server = app(w);
    server.set("env", "production");
    running = await listen(createServer(server));
    const response = await running.fetch("/api/down/", { headers: { Authorization: `Token ${w.key}` } });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("<pre>Service Unavailable</pre>");
  });

  it("Express's default handler sends Retry-After with the 503", async () => {
    const w = await world();
    const server = app(w);
    server.set("env", "production");
    running = await listen(createServer(server));
    const response = await running.fetch("/api/down/", { headers: { Authorization: `Token ${w.key}` } });
    expect(response.status).toBe(503);
    // finalhandler (and every http-errors-aware error middleware) sends `err.headers`.
    expect(response.headers.get("retry-after")).toBe("5");
  });

  it("an app's error middleware gets the SchemeError with status 500 / 503 and expose false", async () => {
    const w = await world();
    const seen: Array<Reported & { status: unknown; statusCode: unknown; expose: unknown }> = [];
    const json: ErrorRequestHandler = (err, _req, res, _next) => {
      seen.push({ ...toReported(err), status: err.status, statusCode: err.statusCode, expose: err.expose });
      expect(err).toBeInstanceOf(SchemeError);
      const status = typeof err.status === "number" ? err.status : 500;
      sendJson(res, status, status === 503 ? UNAVAILABLE : SERVER_ERROR);
    };
    running = await listen(createServer(app(w, { after: [json] })));

    expect(await read(await running.fetch("/api/boom/"))).toEqual(refusal(500, SERVER_ERROR));
    const down = await running.fetch("/api/down/", { headers: { Authorization: `Token ${w.key}` } });
    expect(await read(down)).toEqual(refusal(503, UNAVAILABLE));
    expect(seen).toEqual([
      { ...BOOM_REPORTED, status: 500, statusCode: 500, expose: false },
      { ...DOWN_REPORTED, status: 503, statusCode: 503, expose: false },
    ]);
  });

  it("an ordinary refusal never reaches the error middleware", async () => {
    const w = await world();
    const errors = vi.fn<ErrorRequestHandler>((_err, _req, res) => res.status(599).end());
    running = await listen(createServer(app(w, { after: [errors] })));
    expect((await running.fetch("/api/me/")).status).toBe(401);
    expect((await running.fetch("/api/ping/")).status).toBe(403);
    expect(errors).not.toHaveBeenCalled();
  });

  it("a mounted handler that rejects goes to the error middleware", async () => {
    const server = express();
    server.all(
      "/x/",
      mount(() => Promise.reject(new Error("store down"))),
    );
    const seen: string[] = [];
    server.use(((err, _req, res, _next) => {
      seen.push((err as Error).message);
      sendJson(res, 500, SERVER_ERROR);
    }) as ErrorRequestHandler);
    running = await listen(createServer(server));
    expect(await read(await running.fetch("/x/", { method: "POST" }))).toEqual(refusal(500, SERVER_ERROR));
    expect(seen).toEqual(["store down"]);
  });
});

describe("portcullis/express: mount after a body parser (the parsed body is replayed)", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("obtains a JWT pair with express.json() registered first", async () => {
    const w = await world();
    running = await listen(createServer(app(w, { before: [express.json()] })));
    const response = await running.fetch("/api/token/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "ada", password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    const { access } = (await response.json()) as { access: string };
    expect(await w.jwt.validate(access, "access")).toMatchObject({ user_id: "1" });
  });

  it.each([
    ["streamed to the handler", []],
    ["replayed after express.json()", [express.json()]],
  ])("takes a chunked body (no Content-Length) %s", async (_, before) => {
    const w = await world();
    running = await listen(createServer(app(w, { before })));
    const bytes = new TextEncoder().encode(JSON.stringify({ username: "ada", password: PASSWORD }));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7));
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    const response = await running.fetch("/api/token/", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(200);
    expect(Object.keys((await response.json()) as object)).toEqual(["refresh", "access"]);
  });

  it("logs in (JSON body, X-CSRFToken) with express.json() registered first", async () => {
    const w = await world();
    running = await listen(createServer(app(w, { before: [express.json()] })));
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
  });

  it("logs in (form body, csrfmiddlewaretoken field) with express.urlencoded() registered first", async () => {
    const w = await world();
    running = await listen(createServer(app(w, { before: [express.urlencoded({ extended: false })] })));
    const jar = new Jar();
    const csrf = jar.take(await running.fetch("/api/session/csrf/"));
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const login = await running.fetch("/api/session/login/", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: jar.header },
      body: new URLSearchParams({ ...PASSWORD_FORM, csrfmiddlewaretoken: csrfToken }).toString(),
    });
    expect(login.status).toBe(200);
    expect(await login.text()).toBe(JSON.stringify(ADA));
  });
});

describe("portcullis/express: auth", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("runs as app.use middleware in front of every route, and never calls the route when refusing", async () => {
    const w = await world();
    const route = vi.fn<RequestHandler>((req, res) => {
      res.json({ username: (req as AuthenticatedRequest<DefaultUser>).user.username });
    });
    const server = express().use("/api", auth({ schemes: [w.schemes.basic] }));
    server.get("/api/me/", route);
    running = await listen(createServer(server));
    const ok = await running.fetch("/api/me/", { headers: { Authorization: GOOD_BASIC } });
    expect(await ok.json()).toEqual({ username: "ada" });
    expect((await running.fetch("/api/me/")).status).toBe(401);
    expect(route).toHaveBeenCalledTimes(1);
  });

  it("answers HEAD refusals without a body", async () => {
    const w = await world();
    running = await listen(createServer(app(w)));
    const response = await running.fetch("/api/me/", { method: "HEAD" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="api"');
    expect(await response.text()).toBe("");
  });

  it("keeps req.user and req.auth per request: never on a request it did not authenticate", async () => {
    const w = await world();
    const seen: unknown[] = [];
    const server = express();
    server.get("/api/me/", auth({ schemes: [w.schemes.basic] }), answer);
    server.get("/api/open/", (req, res) => {
      const open = req as unknown as { user?: unknown; auth?: unknown };
      seen.push([open.user, open.auth, Object.hasOwn(req, "user")]);
      res.json({});
    });
    running = await listen(createServer(server));
    expect((await running.fetch("/api/me/", { headers: { Authorization: GOOD_BASIC } })).status).toBe(200);
    await running.fetch("/api/open/", { headers: { Authorization: GOOD_BASIC } });
    expect(seen).toEqual([[undefined, undefined, false]]);
  });

  it("lets another middleware write and rewrite req.user, as passport does, before or after it", async () => {
    const w = await world();
    const server = express();
    server.get(
      "/api/me/",
      auth({ schemes: [w.schemes.basic] }),
      (req, _res, next) => {
        const authed = req as unknown as { user: { username: string }; auth: unknown };
        authed.user = { ...authed.user, username: `${authed.user.username}!` };
        next();
      },
      (req, res) => {
        const { user, auth: proof } = req as unknown as { user: { username: string }; auth: unknown };
        res.json({ username: user.username, auth: proof });
      },
    );
    server.get(
      "/api/pre/",
      (req, _res, next) => {
        (req as unknown as { user: unknown }).user = { username: "from passport" };
        next();
      },
      (req, res) => res.json({ user: (req as unknown as { user: unknown }).user }),
    );
    running = await listen(createServer(server));
    const me = await running.fetch("/api/me/", { headers: { Authorization: GOOD_BASIC } });
    expect(await me.json()).toEqual({ username: "ada!", auth: null });
    expect(await (await running.fetch("/api/pre/")).json()).toEqual({ user: { username: "from passport" } });
  });

  it("leaves an app's own req.user accessor in place and writes through it", async () => {
    const w = await world();
    const server = express();
    const written: unknown[] = [];
    Object.defineProperty(server.request, "user", {
      configurable: true,
      get: () => written.at(-1),
      set: (value: unknown) => void written.push(value),
    });
    server.get("/api/me/", auth({ schemes: [w.schemes.basic] }), answer);
    running = await listen(createServer(server));
    const me = await running.fetch("/api/me/", { headers: { Authorization: GOOD_BASIC } });
    expect((await me.json()).user).toMatchObject({ username: "ada" });
    expect(written).toEqual([expect.objectContaining({ username: "ada" })]);
  });

  it("keeps req.user for the parent app after a sub-app that authenticated hands the request back", async () => {
    const w = await world();
    const sub = express();
    sub.use(auth({ schemes: [w.schemes.basic] }));
    sub.get("/other/", (_req, res) => res.json({}));
    const parent = express();
    parent.use("/api", sub);
    parent.get("/api/me/", (req, res) => {
      res.json({ username: (req as unknown as { user?: DefaultUser }).user?.username ?? null });
    });
    running = await listen(createServer(parent));
    const me = await running.fetch("/api/me/", { headers: { Authorization: GOOD_BASIC } });
    expect(await me.json()).toEqual({ username: "ada" });
  });

  it("never touches Node's IncomingMessage.prototype when it runs outside an Express app", async () => {
    const w = await world();
    const middleware = auth({ schemes: [w.schemes.basic] });
    running = await listen(
      createServer((req, res) => {
        middleware(req as never, res as never, () => {
          res.end(JSON.stringify({ username: (req as unknown as { user: DefaultUser }).user.username }));
        });
      }),
    );
    const me = await running.fetch("/api/me/", { headers: { Authorization: GOOD_BASIC } });
    expect(await me.json()).toEqual({ username: "ada" });
    expect(Object.getOwnPropertyDescriptor(IncomingMessage.prototype, "user")).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(IncomingMessage.prototype, "auth")).toBeUndefined();
  });

  it("refuses to build a guard without schemes", () => {
    expect(() => auth({ schemes: [] })).toThrow(new TypeError("auth() needs `schemes`: one scheme or more."));
  });
});
