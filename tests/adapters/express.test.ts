import { createServer, IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request as ExpressRequest,
  type RequestHandler,
  type Response,
} from "express";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuthenticatedRequest, auth, createAuth, mount } from "../../src/adapters/express.js";
import { type DefaultUser, NotAuthenticated, PermissionDenied, SchemeError } from "../../src/index.js";
import { type Listening, listen } from "./listen.js";
import {
  ADA,
  BOOM_REPORTED,
  DOWN_REPORTED,
  describeAdapter,
  expectLastUsernameCounts,
  GOOD_BASIC,
  Jar,
  NOT_AUTHENTICATED,
  PASSWORD_FORM,
  type Reported,
  read,
  refusal,
  SERVER_ERROR,
  UNAVAILABLE,
} from "./suite.js";
import { FAILING_ENDPOINTS, PASSWORD, RAISED, type World, whoAmI, world } from "./world.js";

const answer: RequestHandler = (req, res) => {
  const { user, auth: proof } = req as AuthenticatedRequest<DefaultUser, false>;
  res.json(whoAmI(user, proof));
};

interface Hooks {
  /** Runs first (body parsers). */
  before?: RequestHandler[];
  /** Runs last (error middleware). */
  after?: ErrorRequestHandler[];
  /** The broken routes' `onError`; none: the default. */
  onError?: (error: unknown, req: ExpressRequest) => void;
}

/** Express 4 (the dev dependency `express4` is express@4): the adapter supports both. */
const express4 = createRequire(import.meta.url)("express4") as typeof express;

/** The shared routes, on Express 5 or on `make` (Express 4). */
function app(w: World, hooks: Hooks = {}, make: () => Express = express): Express {
  const { basic, token, bearer, session, locked, boom, down } = w.schemes;
  const onError = hooks.onError === undefined ? {} : { onError: hooks.onError };
  const project = createAuth<DefaultUser>({ schemes: [basic] });
  const server = make();
  for (const hook of hooks.before ?? []) server.use(hook);
  server.get("/api/me/", auth({ schemes: [basic, token, bearer] }), answer);
  server.get("/api/feed/", auth({ schemes: [basic, token, bearer], required: false }), answer);
  server.all("/api/ping/", auth({ schemes: [session, basic] }), answer);
  server.get("/api/locked/", auth({ schemes: [basic, locked] }), answer);
  server.get("/api/boom/", auth({ schemes: [boom], ...onError }), answer);
  server.get("/api/down/", auth({ schemes: [down], ...onError }), answer);
  server.get("/api/default/", project.auth(), answer);
  server.get("/api/override/", project.auth({ schemes: [token] }), answer);
  server.get("/api/default-optional/", project.auth({ required: false }), answer);
  server.all("/api/token/", mount(w.views.jwt.obtainPair, onError));
  server.all("/api/token/refresh/", mount(w.views.jwt.refresh, onError));
  server.all("/api/session/csrf/", mount(w.views.session.csrf, onError));
  server.all("/api/session/login/", mount(w.views.session.login, onError));
  server.get("/api/raise/denied/", auth({ schemes: [basic, token, bearer] }), raise("denied"));
  server.get(
    "/api/raise/not-authenticated/",
    auth({ schemes: [basic, token, bearer] }),
    raise("not-authenticated"),
  );
  server.get(
    "/api/raise/failed-session-first/",
    auth({ schemes: [session, basic] }),
    raise("failed-session-first"),
  );
  for (const [path, failing] of Object.entries(FAILING_ENDPOINTS)) server.all(path, mount(failing, onError));
  server.all("/api/token/missing-table/", mount(w.views.missingTable.obtainPair, onError));
  for (const hook of hooks.after ?? []) server.use(hook);
  // The app's own error handler, of the kind that leaks: what reaches it is sent as is.
  server.use(((err, _req, res, _next) => {
    sendJson(res, 500, { code: (err as { code?: unknown }).code, message: (err as Error).message });
  }) as ErrorRequestHandler);
  return server;
}

/** A handler that rejects with `RAISED[kind]()` after authentication. */
const raise =
  (kind: keyof typeof RAISED): RequestHandler =>
  async () => {
    throw RAISED[kind]();
  };

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
    const reported: Reported[] = [];
    const running = await listen(
      createServer(app(w, { onError: (error) => reported.push(toReported(error)) })),
    );
    return { fetch: running.fetch, reported: () => reported, close: running.close };
  },
  { answersServerErrors: true },
);

describeAdapter(
  "portcullis/express under Express 4",
  async (w) => {
    const version = createRequire(import.meta.url)("express4/package.json") as { version: string };
    expect(version.version).toMatch(/^4\./);
    const reported: Reported[] = [];
    const server = app(w, { onError: (error) => reported.push(toReported(error)) }, express4);
    const running = await listen(createServer(server));
    return { fetch: running.fetch, reported: () => reported, close: running.close };
  },
  { answersServerErrors: true },
);

describe("portcullis/express: a broken scheme is answered as JSON by the middleware, and reported", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
    vi.restoreAllMocks();
  });

  it.each(["production", "development"])(
    "answers 500 with DRF's JSON, never the stack, in %s; reports to console.error by default",
    async (env) => {
      const log = vi.spyOn(console, "error").mockImplementation(() => {});
      const errors = vi.fn<ErrorRequestHandler>((_err, _req, res) => res.status(599).end());
      const server = app(await world(), { after: [errors] });
      server.set("env", env);
      running = await listen(createServer(server));
      expect(await read(await running.fetch("/api/boom/?x=1"))).toEqual(refusal(500, SERVER_ERROR));
      expect(errors).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledTimes(1);
      const [message, error] = log.mock.calls[0]!;
      expect(message).toBe("portcullis: authentication failed unexpectedly for GET /api/boom/?x=1");
      expect(error).toBeInstanceOf(SchemeError);
      expect(toReported(error)).toEqual(BOOM_REPORTED);
    },
  );

  it("answers a store that cannot answer 503 with Retry-After and DRF's JSON", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const w = await world();
    running = await listen(createServer(app(w)));
    const response = await running.fetch("/api/down/", { headers: { Authorization: `Token ${w.key}` } });
    expect(await read(response)).toEqual({ ...refusal(503, UNAVAILABLE), retryAfter: "5" });
    expect(log.mock.calls.map(([, error]) => toReported(error))).toEqual([DOWN_REPORTED]);
  });

  it("gives onError the SchemeError and the request, and nothing to console.error", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const seen: Array<Reported & { url: string }> = [];
    const w = await world();
    const onError = (error: unknown, req: ExpressRequest) =>
      seen.push({ ...toReported(error), url: req.originalUrl });
    running = await listen(createServer(express().use("/v1", app(w, { onError }))));
    expect(await read(await running.fetch("/v1/api/boom/"))).toEqual(refusal(500, SERVER_ERROR));
    const down = await running.fetch("/v1/api/down/", { headers: { Authorization: `Token ${w.key}` } });
    expect(await read(down)).toEqual({ ...refusal(503, UNAVAILABLE), retryAfter: "5" });
    expect(seen).toEqual([
      { ...BOOM_REPORTED, url: "/v1/api/boom/" },
      { ...DOWN_REPORTED, url: "/v1/api/down/" },
    ]);
    expect(log).not.toHaveBeenCalled();
  });

  it("createAuth's onError reaches every route, and a route's own wins", async () => {
    const w = await world();
    const seen: string[] = [];
    const project = createAuth<DefaultUser>({
      schemes: [w.schemes.boom],
      onError: () => seen.push("project"),
    });
    const server = express();
    server.get("/a/", project.auth(), answer);
    server.get("/b/", project.auth({ onError: () => seen.push("route") }), answer);
    server.get("/c/", project.auth({ onError: undefined }), answer);
    running = await listen(createServer(server));
    for (const path of ["/a/", "/b/", "/c/"]) {
      expect(await read(await running.fetch(path))).toEqual(refusal(500, SERVER_ERROR));
    }
    expect(seen).toEqual(["project", "route", "project"]);
  });

  it("an ordinary refusal never reaches the error middleware", async () => {
    const w = await world();
    const errors = vi.fn<ErrorRequestHandler>((_err, _req, res) => res.status(599).end());
    running = await listen(createServer(app(w, { after: [errors] })));
    expect((await running.fetch("/api/me/")).status).toBe(401);
    expect((await running.fetch("/api/ping/")).status).toBe(403);
    expect(errors).not.toHaveBeenCalled();
  });

  it.each(["production", "development"])(
    "a mounted handler that rejects is answered by mount in %s, never by the error middleware",
    async (env) => {
      const log = vi.spyOn(console, "error").mockImplementation(() => {});
      const server = express();
      server.set("env", env);
      server.all(
        "/x/",
        mount(() => Promise.reject(new Error("connect ECONNREFUSED db.internal:5432"))),
      );
      const errors = vi.fn<ErrorRequestHandler>((_err, _req, res) => res.status(599).end());
      server.use(errors);
      running = await listen(createServer(server));
      expect(await read(await running.fetch("/x/?a=1", { method: "POST" }))).toEqual(
        refusal(500, SERVER_ERROR),
      );
      expect(errors).not.toHaveBeenCalled();
      expect(log).toHaveBeenCalledTimes(1);
      expect(log.mock.calls[0]![0]).toBe("portcullis: the endpoint failed unexpectedly for POST /x/?a=1");
      expect((log.mock.calls[0]![1] as Error).message).toBe("connect ECONNREFUSED db.internal:5432");
    },
  );

  it.each([
    ["Express 5", express],
    ["Express 4", express4],
  ])("answers an AuthError a route throws synchronously, under %s", async (_, make) => {
    const w = await world();
    const server = make();
    const afterward = vi.fn<RequestHandler>((_req, res) => res.json({ reached: true }));
    server.get(
      "/sync/",
      auth({ schemes: [w.schemes.basic] }),
      () => {
        throw new PermissionDenied("Read only.", "read_only");
      },
      afterward,
    );
    server.get("/async/", auth({ schemes: [w.schemes.basic] }), async () => {
      throw new NotAuthenticated();
    });
    server.get("/bug/", auth({ schemes: [w.schemes.basic] }), () => {
      throw new Error("a bug");
    });
    server.get("/async-bug/", auth({ schemes: [w.schemes.basic] }), async () => {
      throw new Error("an async bug");
    });
    const errors = vi.fn<ErrorRequestHandler>((err, _req, res, _next) => {
      sendJson(res, 500, { message: (err as Error).message });
    });
    server.use(errors);
    running = await listen(createServer(server));
    const headers = { Authorization: GOOD_BASIC };
    for (let round = 0; round < 2; round++) {
      expect(await read(await running.fetch("/sync/", { headers }))).toEqual(
        refusal(403, { detail: "Read only.", code: "read_only" }),
      );
      expect(await read(await running.fetch("/async/", { headers }))).toEqual(
        refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
      );
    }
    expect(afterward).not.toHaveBeenCalled();
    // Anything but an AuthError still goes to the app's error handling, untouched.
    expect(await (await running.fetch("/bug/", { headers })).json()).toEqual({ message: "a bug" });
    // A rejection too, under Express 4 as well (which ignores a handler's promise).
    expect(await (await running.fetch("/async-bug/", { headers })).json()).toEqual({
      message: "an async bug",
    });
    expect(errors).toHaveBeenCalledTimes(2);
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

  it.each([
    // Under the endpoints' 64 KiB, over what JSON.stringify can recurse through.
    ["an array", "[".repeat(20_000) + "]".repeat(20_000)],
    ["an object", `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`],
  ])(
    "answers a deeply nested body (%s) 400 after express.json(), as without it, never a 500",
    async (_, body) => {
      const w = await world();
      const log = vi.spyOn(console, "error").mockImplementation(() => {});
      const answers: string[] = [];
      for (const before of [[], [express.json()]]) {
        running = await listen(createServer(app(w, { before })));
        const response = await running.fetch("/api/token/", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body,
        });
        expect(response.status).toBe(400);
        expect(response.headers.get("content-type")).toBe("application/json");
        answers.push(await response.text());
        await running.close();
        running = undefined;
      }
      expect(answers[1]).toBe(answers[0]);
      expect(log).not.toHaveBeenCalled();
    },
  );

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

describe("portcullis/express: mount replays a parsed form as the fields the client sent", () => {
  let running: Listening | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  // What the mounted handler reads, after express.urlencoded() consumed the stream.
  async function replayed(extended: boolean, body: string): Promise<string> {
    const echo = mount(async (request) => new Response(await request.text()));
    running = await listen(
      createServer(express().use(express.urlencoded({ extended })).post("/echo/", echo)),
    );
    const response = await running.fetch("/echo/", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body,
    });
    expect(response.status).toBe(200);
    return response.text();
  }

  it.each([false, true])("a repeated field once per value (extended: %s)", async (extended) => {
    expect(await replayed(extended, "username=nobody&username=ada&password=x")).toBe(
      "username=nobody&username=ada&password=x",
    );
  });

  it("a nested field (extended: true) by its bracketed name", async () => {
    expect(await replayed(true, "password=x&user[name]=ada&items[0][id]=7&items[1][id]=8")).toBe(
      "password=x&user%5Bname%5D=ada&items%5B0%5D%5Bid%5D=7&items%5B1%5D%5Bid%5D=8",
    );
  });

  it.each([false, true])(
    "logs in with a repeated username, whose last value counts as in Django's QueryDict (extended: %s)",
    async (extended) => {
      const w = await world();
      running = await listen(createServer(app(w, { before: [express.urlencoded({ extended })] })));
      await expectLastUsernameCounts(running.fetch, w);
    },
  );
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

  it.each([
    ["Express 5", express],
    ["Express 4", express4],
  ])(
    "sets req.user and req.auth as the request's own properties, on no other request (%s)",
    async (_, make) => {
      const w = await world();
      const seen: unknown[] = [];
      const record: RequestHandler = (req, res) => {
        const { user, auth: proof } = req as unknown as { user?: { username: string }; auth?: unknown };
        seen.push([user?.username, proof, Object.hasOwn(req, "user"), Object.hasOwn(req, "auth")]);
        res.json({});
      };
      const server = make();
      server.get("/api/me/", auth({ schemes: [w.schemes.basic] }), record);
      server.get("/api/open/", record);
      running = await listen(createServer(server));
      expect((await running.fetch("/api/me/", { headers: { Authorization: GOOD_BASIC } })).status).toBe(200);
      await running.fetch("/api/open/", { headers: { Authorization: GOOD_BASIC } });
      expect(seen).toEqual([
        ["ada", null, true, true],
        [undefined, undefined, false, false],
      ]);
      // Express's request prototypes are left as they were.
      for (const prototype of [server.request, Object.getPrototypeOf(server.request) as object]) {
        expect(Object.getOwnPropertyDescriptor(prototype, "user")).toBeUndefined();
        expect(Object.getOwnPropertyDescriptor(prototype, "auth")).toBeUndefined();
      }
    },
  );

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
    expect(() => auth({ schemes: [] })).toThrow(
      new TypeError("auth() needs `schemes`: one scheme or more, or `required: false` and none."),
    );
  });
});
