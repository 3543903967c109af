// portcullis/node's auth(): the check for a plain node:http server, through real servers and requests.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { auth, createAuth, sendAuthError } from "../../src/adapters/node.js";
import type { AuthRequest, BaseAuthentication, DefaultUser } from "../../src/index.js";
import { type Listening, listen } from "./listen.js";
import {
  ADA,
  allowed,
  BAD_BASIC,
  BOOM_REPORTED,
  DOWN_REPORTED,
  GOOD_BASIC,
  INVALID_BASIC,
  NOT_AUTHENTICATED,
  type Reported,
  read,
  refusal,
  SERVER_ERROR,
  UNAVAILABLE,
} from "./suite.js";
import { RAISED, type World, whoAmI, world } from "./world.js";

let w: World;
let running: Listening;
const reported: Reported[] = [];
/** Each request as a route's handler saw it after the check: own plain properties, the same object. */
const seen: { own: string[]; same: boolean; writable: boolean }[] = [];
/** The URL the `url` route's scheme was given. */
let viewUrl: string | null = null;

const onError = (error: unknown, req: IncomingMessage | { url?: string }) => {
  reported.push({ name: (error as Error).name, message: (error as Error).message });
  expect(req.url).toMatch(/^\/api\//);
};

/** A scheme that records the request's URL and finds nobody. */
class UrlProbe implements BaseAuthentication<DefaultUser> {
  readonly name = "probe";
  async authenticate(request: AuthRequest): Promise<null> {
    viewUrl = request.url;
    return null;
  }
}

function routes(w: World) {
  const { basic, token, bearer, session, locked, boom, down } = w.schemes;
  const project = createAuth<DefaultUser>({ schemes: [basic], onError });
  return {
    "/api/me/": auth({ schemes: [basic, token, bearer], onError }),
    "/api/feed/": auth({ schemes: [basic, token, bearer], required: false, onError }),
    "/api/ping/": auth({ schemes: [session, basic], onError }),
    "/api/locked/": auth({ schemes: [basic, locked], onError }),
    "/api/boom/": auth({ schemes: [boom], onError }),
    "/api/down/": auth({ schemes: [down], onError }),
    "/api/default/": project.auth(),
    "/api/override/": project.auth({ schemes: [token] }),
    "/api/default-optional/": project.auth({ required: false }),
    "/api/url/": auth({
      schemes: [new UrlProbe(), basic],
      required: false,
      url: (req) => `https://api.example${req.url}`,
    }),
    "/api/raise/denied/": auth({ schemes: [basic, token, bearer], onError }),
  } as const;
}

async function handle(
  checks: ReturnType<typeof routes>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] as keyof typeof checks;
  const check = checks[path];
  if (check === undefined) {
    res.writeHead(404).end();
    return;
  }
  const authed = await check(req, res);
  if (!authed) return;
  seen.push({
    own: Object.keys(authed).filter((key) => key === "user" || key === "auth"),
    same: authed === req,
    writable: Object.getOwnPropertyDescriptor(authed, "user")?.writable === true,
  });
  if (path === "/api/raise/denied/") throw RAISED.denied();
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify(whoAmI(authed.user, authed.auth)));
}

beforeAll(async () => {
  w = await world();
  const checks = routes(w);
  running = await listen(
    createServer((req, res) => {
      // The server's catch-all: what the handler throws after the check.
      handle(checks, req, res).catch((error: unknown) => {
        sendAuthError(res, error instanceof Error ? error : new Error(String(error)));
      });
    }),
  );
});
afterAll(() => running.close());
afterEach(() => {
  reported.length = 0;
  seen.length = 0;
  vi.restoreAllMocks();
});

const get = (path: string, headers: Record<string, string> = {}) => running.fetch(path, { headers });

describe("portcullis/node: auth() answers a refused request itself", () => {
  it("401 with the first scheme's challenge and DRF's body, for anonymous and bad credentials", async () => {
    expect(await read(await get("/api/me/"))).toEqual(refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'));
    expect(await read(await get("/api/me/", { Authorization: BAD_BASIC }))).toEqual(
      refusal(401, INVALID_BASIC, 'Basic realm="api"'),
    );
    expect(await read(await get("/api/me/", { Authorization: "Token pct_nope" }))).toEqual(
      refusal(401, { detail: "Invalid token.", code: "authentication_failed" }, 'Basic realm="api"'),
    );
    expect(seen).toEqual([]);
  });

  it.each(["GET", "POST"])(
    "403 without WWW-Authenticate for an anonymous %s with the session first",
    async (method) => {
      expect(await read(await running.fetch("/api/ping/", { method }))).toEqual(
        refusal(403, NOT_AUTHENTICATED),
      );
    },
  );

  it("403 for a scheme's PermissionDenied", async () => {
    expect(await read(await get("/api/locked/", { "X-Account": "locked" }))).toEqual(
      refusal(403, { detail: "Account locked.", code: "account_locked" }),
    );
  });

  it("500 for a broken scheme and 503 with Retry-After for a store that cannot answer, both reported", async () => {
    expect(await read(await get("/api/boom/"))).toEqual(refusal(500, SERVER_ERROR));
    const down = await get("/api/down/", { Authorization: `Token ${w.key}` });
    expect(await read(down)).toEqual({ ...refusal(503, UNAVAILABLE), retryAfter: "5" });
    expect(reported).toEqual([BOOM_REPORTED, DOWN_REPORTED]);
    expect(seen).toEqual([]);
  });

  it("reports to console.error without an onError, with the method and URL, never the message to the client", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const check = auth({ schemes: [w.schemes.boom] });
    const server = await listen(
      createServer(async (req, res) => {
        if (await check(req, res)) res.end("not reached");
      }),
    );
    try {
      const response = await server.fetch("/quiet/?q=1");
      expect(await read(response)).toEqual(refusal(500, SERVER_ERROR));
      expect(errors).toHaveBeenCalledOnce();
      expect(errors.mock.calls[0]![0]).toBe(
        "portcullis: authentication failed unexpectedly for GET /quiet/?q=1",
      );
      expect((errors.mock.calls[0]![1] as Error).name).toBe("SchemeError");
    } finally {
      await server.close();
    }
  });
});

describe("portcullis/node: auth() lets a request through with req.user and req.auth", () => {
  it("resolves to the request itself, with user and auth as plain own properties", async () => {
    expect(await read(await get("/api/me/", { Authorization: GOOD_BASIC }))).toMatchObject(
      allowed(ADA, null),
    );
    expect(await read(await get("/api/me/", { Authorization: `Token ${w.key}` }))).toMatchObject(
      allowed(ADA, "token"),
    );
    const { access } = await w.jwt.obtainPair(w.ada);
    expect(await read(await get("/api/me/", { Authorization: `Bearer ${access}` }))).toMatchObject(
      allowed(ADA, "jwt access"),
    );
    expect(seen).toEqual(
      Array.from({ length: 3 }, () => ({ own: ["user", "auth"], same: true, writable: true })),
    );
  });

  it("lets anonymous through with user and auth null when required is false; bad credentials still fail", async () => {
    expect(await read(await get("/api/feed/"))).toMatchObject(allowed(null, null));
    expect(await read(await get("/api/feed/", { Authorization: BAD_BASIC }))).toEqual(
      refusal(401, INVALID_BASIC, 'Basic realm="api"'),
    );
  });

  it("takes createAuth's defaults, and a route's own schemes or required", async () => {
    expect(await read(await get("/api/default/"))).toEqual(
      refusal(401, NOT_AUTHENTICATED, 'Basic realm="api"'),
    );
    expect(await read(await get("/api/default/", { Authorization: GOOD_BASIC }))).toMatchObject(
      allowed(ADA, null),
    );
    expect(await read(await get("/api/override/", { Authorization: GOOD_BASIC }))).toEqual(
      refusal(401, NOT_AUTHENTICATED, "Token"),
    );
    expect(await read(await get("/api/override/", { Authorization: `Token ${w.key}` }))).toMatchObject(
      allowed(ADA, "token"),
    );
    expect(await read(await get("/api/default-optional/"))).toMatchObject(allowed(null, null));
  });

  it("gives the schemes the url option's URL", async () => {
    viewUrl = null;
    await get("/api/url/?next=1");
    expect(viewUrl).toBe("https://api.example/api/url/?next=1");
  });

  it("leaves what the handler throws afterwards to the server's catch-all (sendAuthError)", async () => {
    expect(await read(await get("/api/raise/denied/", { Authorization: GOOD_BASIC }))).toEqual(
      refusal(403, {
        detail: "You do not have permission to perform this action.",
        code: "permission_denied",
      }),
    );
  });

  it("needs a scheme", () => {
    expect(() => auth({ schemes: [] })).toThrow(
      new TypeError("auth() needs `schemes`: one scheme or more, or `required: false` and none."),
    );
    expect(() => createAuth({ schemes: [] })).toThrow(TypeError);
  });
});
