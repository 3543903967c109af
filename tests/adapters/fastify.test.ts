import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuthenticatedRequest, auth, createAuth, mount, plugin } from "../../src/adapters/fastify.js";
import { type DefaultUser, NotAuthenticated, PermissionDenied } from "../../src/index.js";
import {
  ADA,
  BOOM_REPORTED,
  describeAdapter,
  GOOD_BASIC,
  Jar,
  NOT_AUTHENTICATED,
  type Reported,
  read,
  refusal,
  SERVER_ERROR,
} from "./suite.js";
import { FAILING_ENDPOINTS, PASSWORD, RAISED, type World, whoAmI, world } from "./world.js";

interface LogLine {
  level: number;
  msg?: string;
  err?: { type: string; message: string; stack: string };
}

/** A Fastify app whose log lines (warn and above) are kept. */
function fastify(): { app: FastifyInstance; log: LogLine[] } {
  const log: LogLine[] = [];
  const stream = { write: (line: string) => void log.push(JSON.parse(line) as LogLine) };
  return { app: Fastify({ logger: { level: "warn", stream } }), log };
}

/**
 * What the log says went wrong: each error with its type and own message (the first line of its stack:
 * pino appends the causes' messages to `message`), any other line as is.
 */
function reportedFrom(log: LogLine[]): Reported[] {
  return log.map((line) => {
    if (!line.err) return { name: `level ${line.level}`, message: line.msg ?? "" };
    const [first = ""] = line.err.stack.split("\n", 1);
    expect(first.startsWith(`${line.err.type}: `)).toBe(true);
    return { name: line.err.type, message: first.slice(line.err.type.length + 2) };
  });
}

async function app(w: World): Promise<{ app: FastifyInstance; log: LogLine[] }> {
  const { basic, token, bearer, session, locked, boom, down } = w.schemes;
  const project = createAuth<DefaultUser>({ schemes: [basic] });
  const { app, log } = fastify();
  await app.register(plugin);
  const answer = async (request: unknown) => {
    const { user, auth: proof } = request as AuthenticatedRequest<DefaultUser, false>;
    return whoAmI(user, proof);
  };
  app.get("/api/me/", { preHandler: auth({ schemes: [basic, token, bearer] }) }, answer);
  app.get("/api/feed/", { preHandler: auth({ schemes: [basic, token, bearer], required: false }) }, answer);
  app.route({
    method: ["GET", "POST"],
    url: "/api/ping/",
    preHandler: auth({ schemes: [session, basic] }),
    handler: answer,
  });
  app.get("/api/locked/", { preHandler: auth({ schemes: [basic, locked] }) }, answer);
  app.get("/api/boom/", { preHandler: auth({ schemes: [boom] }) }, answer);
  app.get("/api/down/", { preHandler: auth({ schemes: [down] }) }, answer);
  app.get("/api/default/", { preHandler: project.auth() }, answer);
  app.get("/api/override/", { preHandler: project.auth({ schemes: [token] }) }, answer);
  app.get("/api/default-optional/", { preHandler: project.auth({ required: false }) }, answer);
  app.get("/api/open/", answer);
  await app.register(mount(w.views.jwt.obtainPair), { prefix: "/api/token/" });
  await app.register(mount(w.views.jwt.refresh), { prefix: "/api/token/refresh/" });
  await app.register(mount(w.views.session.csrf), { prefix: "/api/session/csrf/" });
  await app.register(mount(w.views.session.login), { prefix: "/api/session/login/" });
  const raise = (kind: keyof typeof RAISED) => async () => {
    throw RAISED[kind]();
  };
  app.get("/api/raise/denied/", { preHandler: auth({ schemes: [basic, token, bearer] }) }, raise("denied"));
  app.get(
    "/api/raise/not-authenticated/",
    { preHandler: auth({ schemes: [basic, token, bearer] }) },
    raise("not-authenticated"),
  );
  app.get(
    "/api/raise/failed-session-first/",
    { preHandler: auth({ schemes: [session, basic] }) },
    raise("failed-session-first"),
  );
  for (const [prefix, failing] of Object.entries(FAILING_ENDPOINTS))
    await app.register(mount(failing), { prefix });
  await app.register(mount(w.views.missingTable.obtainPair), { prefix: "/api/token/missing-table/" });
  // Fastify's default error handler stays: it sends an error's `code` and `message` to the client.
  await app.ready();
  return { app, log };
}

/** Fastify's inject answer as a Fetch Response: each Set-Cookie line kept as Fastify gave it. */
function toResponse(injected: LightMyRequestResponse): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(injected.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, String(item));
  }
  const empty = injected.statusCode === 204 || injected.statusCode === 304;
  return new Response(empty ? null : new Uint8Array(injected.rawPayload), {
    status: injected.statusCode,
    headers,
  });
}

/** A Fetch RequestInit as Fastify inject options. */
function toInject(path: string, init: RequestInit = {}): InjectOptions {
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  return {
    method: (init.method ?? "GET") as InjectOptions["method"],
    url: path,
    headers,
    ...(init.body === undefined || init.body === null ? {} : { payload: init.body as string }),
  };
}

describeAdapter(
  "portcullis/fastify",
  async (w) => {
    const { app: server, log } = await app(w);
    return {
      fetch: async (path, init) => toResponse(await server.inject(toInject(path, init))),
      reported: () => reportedFrom(log),
      close: () => server.close(),
    };
  },
  { answersServerErrors: true },
);

describe("portcullis/fastify", () => {
  let server: FastifyInstance | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("decorates request.user and request.auth as null on routes without auth", async () => {
    const built = await app(await world());
    server = built.app;
    const response = await server.inject({ url: "/api/open/", headers: { Authorization: GOOD_BASIC } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ user: null, auth: null });
  });

  it("logs a broken scheme once, at error level, with the SchemeError", async () => {
    const built = await app(await world());
    server = built.app;
    const response = await server.inject({ url: "/api/boom/" });
    expect(await read(toResponse(response))).toEqual(refusal(500, SERVER_ERROR));
    expect(built.log).toHaveLength(1);
    expect(built.log[0]).toMatchObject({ level: 50, msg: "authentication failed unexpectedly" });
    expect(reportedFrom(built.log)).toEqual([BOOM_REPORTED]);
  });

  it("keeps the two Set-Cookie lines of a login apart", async () => {
    const built = await app(await world());
    server = built.app;
    const jar = new Jar();
    const csrf = jar.take(toResponse(await server.inject({ url: "/api/session/csrf/" })));
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const login = await server.inject({
      method: "POST",
      url: "/api/session/login/",
      headers: { "X-CSRFToken": csrfToken, Cookie: jar.header },
      payload: { username: "ada", password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const cookies = login.headers["set-cookie"];
    expect(Array.isArray(cookies)).toBe(true);
    expect((cookies as string[]).map((line) => line.slice(0, line.indexOf("=")))).toEqual([
      "sessionid",
      "csrftoken",
    ]);
    expect(login.body).toBe(JSON.stringify(ADA));
  });

  it("mounts the login as a form post too (the mounted plugin passes every content type through)", async () => {
    const built = await app(await world());
    server = built.app;
    const jar = new Jar();
    const csrf = jar.take(toResponse(await server.inject({ url: "/api/session/csrf/" })));
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const login = await server.inject({
      method: "POST",
      url: "/api/session/login/",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: jar.header },
      payload: new URLSearchParams({
        username: "ada",
        password: PASSWORD,
        csrfmiddlewaretoken: csrfToken,
      }).toString(),
    });
    expect(login.statusCode).toBe(200);
    expect(login.body).toBe(JSON.stringify(ADA));
  });

  it("works over a real socket too", async () => {
    const built = await app(await world());
    server = built.app;
    const origin = await server.listen({ port: 0, host: "127.0.0.1" });
    const response = await fetch(`${origin}/api/me/`, { headers: { Authorization: GOOD_BASIC } });
    expect(await response.json()).toEqual({ user: ADA, auth: null });
    const refused = await fetch(`${origin}/api/me/`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Basic realm="api"');
    expect(built.log).toEqual([]);
  });

  it("answers an AuthError a synchronous handler throws, and leaves other errors to Fastify", async () => {
    const w = await world();
    const { app: built } = fastify();
    server = built;
    await server.register(plugin);
    server.get("/sync/", { preHandler: auth({ schemes: [w.schemes.basic] }) }, () => {
      throw new PermissionDenied("Read only.", "read_only");
    });
    server.get("/reply/", { preHandler: auth({ schemes: [w.schemes.basic] }) }, (_request, reply) => {
      reply.send({ sync: true });
    });
    server.get("/hook/", async () => {
      throw new NotAuthenticated();
    });
    server.get("/bug/", { preHandler: auth({ schemes: [w.schemes.basic] }) }, () => {
      throw Object.assign(new Error("a bug"), { statusCode: 418 });
    });
    const headers = { Authorization: GOOD_BASIC };
    expect(await read(toResponse(await server.inject({ url: "/sync/", headers })))).toEqual(
      refusal(403, { detail: "Read only.", code: "read_only" }),
    );
    expect((await server.inject({ url: "/reply/", headers })).json()).toEqual({ sync: true });
    // No auth() on the route: DRF's exception handler still answers, with no challenge to give: 403.
    expect(await read(toResponse(await server.inject({ url: "/hook/" })))).toEqual(
      refusal(403, NOT_AUTHENTICATED),
    );
    expect((await server.inject({ url: "/bug/", headers })).statusCode).toBe(418);
  });

  it("answers an AuthError before the app's or the route's own error handler, which get everything else", async () => {
    const w = await world();
    const { app: built } = fastify();
    server = built;
    await server.register(plugin);
    server.setErrorHandler((error, _request, reply) => {
      reply.code(418).send({ app: (error as Error).message });
    });
    const guarded = { preHandler: auth({ schemes: [w.schemes.basic] }) };
    server.get("/denied/", guarded, async () => {
      throw new PermissionDenied("Read only.", "read_only");
    });
    server.get("/expired/", guarded, async () => {
      throw new NotAuthenticated();
    });
    server.get("/bug/", guarded, async () => {
      throw new Error("a bug");
    });
    const own = {
      ...guarded,
      errorHandler: (
        error: Error,
        _request: unknown,
        reply: { code(n: number): { send(b: unknown): void } },
      ) => reply.code(409).send({ route: error.message }),
    };
    server.get("/own-denied/", own, async () => {
      throw new PermissionDenied();
    });
    server.get("/own-bug/", own, async () => {
      throw new Error("a route bug");
    });
    const headers = { Authorization: GOOD_BASIC };
    expect(await read(toResponse(await server.inject({ url: "/denied/", headers })))).toEqual(
      refusal(403, { detail: "Read only.", code: "read_only" }),
    );
    // The route's auth() gives the challenge of its first scheme, as DRF's exception handler does.
    const expired = await server.inject({ url: "/expired/", headers });
    expect(expired.statusCode).toBe(401);
    expect(expired.headers["www-authenticate"]).toBe('Basic realm="api"');
    expect(expired.json()).toEqual(NOT_AUTHENTICATED);
    const bug = await server.inject({ url: "/bug/", headers });
    expect([bug.statusCode, bug.json()]).toEqual([418, { app: "a bug" }]);
    expect((await server.inject({ url: "/own-denied/", headers })).statusCode).toBe(403);
    const ownBug = await server.inject({ url: "/own-bug/", headers });
    expect([ownBug.statusCode, ownBug.json()]).toEqual([409, { route: "a route bug" }]);
  });

  it("never runs the route after refusing, and logs nothing for a refusal", async () => {
    const w = await world();
    const { app: guarded, log } = fastify();
    server = guarded;
    const route = vi.fn(async () => ({ secret: true }));
    await server.register(plugin);
    server.get("/me/", { preHandler: auth({ schemes: [w.schemes.basic] }) }, route);
    const refused = await server.inject({ url: "/me/" });
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toBe(JSON.stringify(NOT_AUTHENTICATED));
    // Let a route that wrongly ran after the hook finish and log its "Reply was already sent".
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(route).not.toHaveBeenCalled();
    expect(log).toEqual([]);
  });

  it("runs as an app-wide preHandler hook", async () => {
    const w = await world();
    const { app: hooked } = fastify();
    server = hooked;
    await server.register(plugin);
    server.addHook("preHandler", auth({ schemes: [w.schemes.basic] }));
    server.get("/me/", async (request) => ({
      username: (request as AuthenticatedRequest<DefaultUser>).user.username,
    }));
    expect((await server.inject({ url: "/me/" })).statusCode).toBe(401);
    expect((await server.inject({ url: "/me/", headers: { Authorization: GOOD_BASIC } })).json()).toEqual({
      username: "ada",
    });
  });
});
