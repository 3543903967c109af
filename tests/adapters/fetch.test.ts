import { afterEach, describe, expect, it, vi } from "vitest";
import { createAuth, mount, withAuth } from "../../src/adapters/fetch.js";
import type { EndpointHandler } from "../../src/index.js";
import {
  BOOM_REPORTED,
  describeAdapter,
  GOOD_BASIC,
  NOT_AUTHENTICATED,
  type Reported,
  read,
  refusal,
  SERVER_ERROR,
} from "./suite.js";
import { FAILING_ENDPOINTS, RAISED, type World, whoAmI, world } from "./world.js";

const ORIGIN = "http://127.0.0.1";

/** A handler that rejects with `RAISED[kind]()` after authentication. */
const raise = (kind: keyof typeof RAISED) => async (): Promise<Response> => {
  throw RAISED[kind]();
};

function toReported(error: unknown): Reported {
  return { name: (error as Error).name, message: (error as Error).message };
}

/** The shared routes as Fetch handlers, behind a path router (what Deno.serve or a Worker would do). */
function app(w: World, onError: (error: unknown, request: Request) => void) {
  const { basic, token, bearer, session, locked, boom, down } = w.schemes;
  const answer = (_request: Request, { user, auth }: { user: unknown; auth: unknown }) =>
    Response.json(whoAmI(user, auth));
  const project = createAuth({ schemes: [basic], onError });
  const routes: Record<string, EndpointHandler> = {
    "/api/me/": withAuth(answer, { schemes: [basic, token, bearer], onError }),
    "/api/feed/": withAuth(answer, { schemes: [basic, token, bearer], required: false, onError }),
    "/api/ping/": withAuth(answer, { schemes: [session, basic], onError }),
    "/api/locked/": withAuth(answer, { schemes: [basic, locked], onError }),
    "/api/boom/": withAuth(answer, { schemes: [boom], onError }),
    "/api/down/": withAuth(answer, { schemes: [down], onError }),
    "/api/default/": project.withAuth(answer),
    "/api/override/": project.withAuth(answer, { schemes: [token] }),
    "/api/default-optional/": project.withAuth(answer, { required: false }),
    "/api/token/": mount(w.views.jwt.obtainPair, { onError }),
    "/api/token/refresh/": mount(w.views.jwt.refresh, { onError }),
    "/api/session/csrf/": mount(w.views.session.csrf, { onError }),
    "/api/session/login/": mount(w.views.session.login, { onError }),
    "/api/token/missing-table/": mount(w.views.missingTable.obtainPair, { onError }),
    "/api/raise/denied/": withAuth(raise("denied"), { schemes: [basic, token, bearer], onError }),
    "/api/raise/not-authenticated/": withAuth(raise("not-authenticated"), {
      schemes: [basic, token, bearer],
      onError,
    }),
    "/api/raise/failed-session-first/": withAuth(raise("failed-session-first"), {
      schemes: [session, basic],
      onError,
    }),
  };
  for (const [path, failing] of Object.entries(FAILING_ENDPOINTS)) routes[path] = mount(failing, { onError });
  return (request: Request): Promise<Response> => {
    const route = routes[new URL(request.url).pathname];
    return route ? route(request) : Promise.resolve(new Response(null, { status: 404 }));
  };
}

describeAdapter(
  "portcullis/fetch",
  async (w) => {
    const reported: Reported[] = [];
    const handle = app(w, (error, request) => {
      expect(request).toBeInstanceOf(Request);
      reported.push(toReported(error));
    });
    return {
      fetch: (path, init) => handle(new Request(`${ORIGIN}${path}`, init)),
      reported: () => reported,
      close: async () => {},
    };
  },
  { answersServerErrors: true },
);

describe("portcullis/fetch: withAuth", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("calls the handler with the user, the auth and the scheme, and passes extra arguments through", async () => {
    const w = await world();
    const handler = vi.fn(
      (
        _request: Request,
        context: { user: unknown; auth: unknown; scheme: string | null },
        ...rest: unknown[]
      ) => Response.json({ scheme: context.scheme, user: context.user, rest }),
    );
    const protectedHandler = withAuth<
      { id: string; username: string },
      true,
      [env: { KV: string }, ctx: string]
    >(handler, { schemes: [w.schemes.basic, w.schemes.token] });
    const request = new Request(`${ORIGIN}/`, { headers: { Authorization: `Token ${w.key}` } });
    const response = await protectedHandler(request, { KV: "kv" }, "ctx");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      scheme: "token",
      user: { id: "1", username: "ada" },
      rest: [{ KV: "kv" }, "ctx"],
    });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler.mock.calls[0]![0]).toBe(request);
  });

  it("never calls the handler for a refused request", async () => {
    const w = await world();
    const handler = vi.fn(() => new Response("secret"));
    const response = await withAuth(handler, { schemes: [w.schemes.basic] })(new Request(`${ORIGIN}/`));
    expect(await read(response)).toEqual(refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'));
    expect(handler).not.toHaveBeenCalled();
  });

  it("gives an allowed anonymous request scheme null", async () => {
    const w = await world();
    const response = await withAuth((_request, context) => Response.json(context), {
      schemes: [w.schemes.basic],
      required: false,
    })(new Request(`${ORIGIN}/`));
    expect(await response.json()).toEqual({ user: null, auth: null, scheme: null });
  });

  it("reports a broken scheme to console.error when no onError is given", async () => {
    const w = await world();
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await withAuth(() => new Response("never"), { schemes: [w.schemes.boom] })(
      new Request(`${ORIGIN}/boom/`),
    );
    expect(await read(response)).toEqual(refusal(500, SERVER_ERROR));
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toBe(
      `portcullis: authentication failed unexpectedly for GET ${ORIGIN}/boom/`,
    );
    expect(toReported(log.mock.calls[0]![1])).toEqual(BOOM_REPORTED);
  });

  it("createAuth passes the project's onError to every route; a route's own onError wins", async () => {
    const w = await world();
    const project: Reported[] = [];
    const route: Reported[] = [];
    const { withAuth: guarded } = createAuth({
      schemes: [w.schemes.boom],
      onError: (error) => project.push(toReported(error)),
    });
    const handler = () => new Response("never");
    expect((await guarded(handler)(new Request(`${ORIGIN}/`))).status).toBe(500);
    expect(
      (
        await guarded(handler, { onError: (error) => route.push(toReported(error)) })(
          new Request(`${ORIGIN}/`),
        )
      ).status,
    ).toBe(500);
    expect(project).toEqual([BOOM_REPORTED]);
    expect(route).toEqual([BOOM_REPORTED]);
  });

  it("refuses to build a guard without schemes", async () => {
    expect(() => withAuth(() => new Response(), { schemes: [] })).toThrow(
      new TypeError("auth() needs `schemes`: one scheme or more, or `required: false` and none."),
    );
    expect(() => createAuth({ schemes: [] })).toThrow(TypeError);
  });

  it("accepts Basic through createAuth and answers the handler's own response untouched", async () => {
    const w = await world();
    const { withAuth: guarded } = createAuth({ schemes: [w.schemes.basic] });
    const response = await guarded(
      (_request, { user }) =>
        new Response(`hello ${user.username}`, { status: 201, headers: { "X-Mine": "1" } }),
    )(new Request(`${ORIGIN}/`, { headers: { Authorization: GOOD_BASIC } }));
    expect(response.status).toBe(201);
    expect(response.headers.get("x-mine")).toBe("1");
    expect(await response.text()).toBe("hello ada");
  });
});
