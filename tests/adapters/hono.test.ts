import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { auth, createAuth, mount } from "../../src/adapters/hono.js";
import { type DefaultUser, type EndpointHandler, PermissionDenied } from "../../src/index.js";
import {
  BOOM_REPORTED,
  describeAdapter,
  GOOD_BASIC,
  type Reported,
  read,
  refusal,
  SERVER_ERROR,
} from "./suite.js";
import { FAILING_ENDPOINTS, RAISED, type World, whoAmI, world } from "./world.js";

function toReported(error: unknown): Reported {
  return { name: (error as Error).name, message: (error as Error).message };
}

function app(w: World, onError: (error: unknown) => void): Hono {
  const { basic, token, bearer, session, locked, boom, down } = w.schemes;
  const project = createAuth<DefaultUser>({ schemes: [basic], onError });
  const hono = new Hono();
  hono.get("/api/me/", auth({ schemes: [basic, token, bearer], onError }), (c) =>
    c.json(whoAmI(c.get("user"), c.get("auth"))),
  );
  hono.get("/api/feed/", auth({ schemes: [basic, token, bearer], required: false, onError }), (c) =>
    c.json(whoAmI(c.get("user"), c.get("auth"))),
  );
  hono.on(["GET", "POST"], "/api/ping/", auth({ schemes: [session, basic], onError }), (c) =>
    c.json(whoAmI(c.get("user"), c.get("auth"))),
  );
  hono.get("/api/locked/", auth({ schemes: [basic, locked], onError }), (c) =>
    c.json(whoAmI(c.get("user"), c.get("auth"))),
  );
  hono.get("/api/boom/", auth({ schemes: [boom], onError }), (c) => c.json(whoAmI(c.get("user"), null)));
  hono.get("/api/down/", auth({ schemes: [down], onError }), (c) => c.json(whoAmI(c.get("user"), null)));
  hono.get("/api/default/", project.auth(), (c) => c.json(whoAmI(c.get("user"), c.get("auth"))));
  hono.get("/api/override/", project.auth({ schemes: [token] }), (c) =>
    c.json(whoAmI(c.get("user"), c.get("auth"))),
  );
  hono.get("/api/default-optional/", project.auth({ required: false }), (c) =>
    c.json(whoAmI(c.get("user"), c.get("auth"))),
  );
  const at = (path: string, handler: EndpointHandler) => hono.all(path, mount(handler, { onError }));
  at("/api/token/", w.views.jwt.obtainPair);
  at("/api/token/refresh/", w.views.jwt.refresh);
  at("/api/session/csrf/", w.views.session.csrf);
  at("/api/session/login/", w.views.session.login);
  for (const [path, failing] of Object.entries(FAILING_ENDPOINTS)) at(path, failing);
  at("/api/token/missing-table/", w.views.missingTable.obtainPair);
  const raise = (kind: keyof typeof RAISED) => async (): Promise<Response> => {
    throw RAISED[kind]();
  };
  hono.get("/api/raise/denied/", auth({ schemes: [basic, token, bearer], onError }), raise("denied"));
  hono.get(
    "/api/raise/not-authenticated/",
    auth({ schemes: [basic, token, bearer], onError }),
    raise("not-authenticated"),
  );
  hono.get(
    "/api/raise/failed-session-first/",
    auth({ schemes: [session, basic], onError }),
    raise("failed-session-first"),
  );
  // The app's own error handler, of the kind that leaks: what reaches it is sent as is.
  hono.onError((error, c) =>
    c.json({ code: (error as { code?: unknown }).code, message: error.message }, 500),
  );
  return hono;
}

describeAdapter(
  "portcullis/hono",
  async (w) => {
    const reported: Reported[] = [];
    const hono = app(w, (error) => reported.push(toReported(error)));
    return {
      fetch: (path, init) => Promise.resolve(hono.request(path, init)),
      reported: () => reported,
      close: async () => {},
    };
  },
  { answersServerErrors: true },
);

describe("portcullis/hono: auth", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("passes the Hono context to onError and never runs the route", async () => {
    const w = await world();
    const route = vi.fn();
    const seen: string[] = [];
    const hono = new Hono().get(
      "/boom/",
      auth({ schemes: [w.schemes.boom], onError: (_error, c) => seen.push(`${c.req.method} ${c.req.path}`) }),
      (c) => {
        route();
        return c.text("never");
      },
    );
    expect(await read(await hono.request("/boom/"))).toEqual(refusal(500, SERVER_ERROR));
    expect(seen).toEqual(["GET /boom/"]);
    expect(route).not.toHaveBeenCalled();
  });

  it("reports to console.error without onError", async () => {
    const w = await world();
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const hono = new Hono().get("/boom/", auth({ schemes: [w.schemes.boom] }), (c) => c.text("never"));
    expect((await hono.request("/boom/")).status).toBe(500);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toBe(
      "portcullis: authentication failed unexpectedly for GET http://localhost/boom/",
    );
    expect(toReported(log.mock.calls[0]![1])).toEqual(BOOM_REPORTED);
  });

  it("answers an AuthError the route throws without Hono's default handler logging it", async () => {
    const w = await world();
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const hono = new Hono().get("/denied/", auth({ schemes: [w.schemes.basic] }), () => {
      throw new PermissionDenied("Read only.", "read_only");
    });
    expect(await read(await hono.request("/denied/", { headers: { Authorization: GOOD_BASIC } }))).toEqual(
      refusal(403, { detail: "Read only.", code: "read_only" }),
    );
    expect(log).not.toHaveBeenCalled();
  });

  it("runs as app.use middleware in front of every route, with the user in c.var", async () => {
    const w = await world();
    const hono = new Hono()
      .use("/api/*", auth({ schemes: [w.schemes.basic] }))
      .get("/api/me/", (c) => c.json({ id: c.var.user.id, username: c.get("user").username }));
    expect(await (await hono.request("/api/me/", { headers: { Authorization: GOOD_BASIC } })).json()).toEqual(
      {
        id: "1",
        username: "ada",
      },
    );
    expect((await hono.request("/api/me/")).status).toBe(401);
  });

  it("lets the route's response through unchanged, after next()", async () => {
    const w = await world();
    const hono = new Hono().get("/", auth({ schemes: [w.schemes.basic] }), (c) => {
      c.header("X-Mine", "1");
      return c.text(`hello ${c.get("user").username}`, 201);
    });
    const response = await hono.request("/", { headers: { Authorization: GOOD_BASIC } });
    expect(response.status).toBe(201);
    expect(response.headers.get("x-mine")).toBe("1");
    expect(await response.text()).toBe("hello ada");
  });
});
