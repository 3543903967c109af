/**
 * The demo application: a node:http server with a public route, `/api/me/` behind Basic and JWT
 * authentication, and simplejwt's token endpoints. `npm start` runs it (server.ts); tests start it on a
 * free port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { errorResponseParts } from "../../src/adapter-kit.js";
import {
  type AuthRequest,
  authenticate,
  BasicAuthentication,
  createJWTHandlers,
  type DefaultUser,
  hashPassword,
  JWTAuthentication,
  JWTService,
  MemoryRevocationStore,
  MemorySessionStore,
  MemoryTokenStore,
  MemoryUserStore,
  obtainAuthToken,
  type RevocationStore,
  SessionAuthentication,
  SessionManager,
  type SessionStore,
  sessionHandlers,
  TokenAuthentication,
  type TokenStore,
  type UserStore,
  verifyPassword,
} from "../../src/index.js";
import { LOGIN_PAGE } from "./login-page.js";

/** The stores the demo runs on: memory by default; `npm start` passes SQLite ones. */
export interface DemoStores {
  users: UserStore<DefaultUser> & Required<Pick<UserStore<DefaultUser>, "create">>;
  tokens: TokenStore;
  sessions: SessionStore;
  revocations: RevocationStore;
}

export interface DemoOptions {
  /** The seeded user's password; default "demo". */
  password?: string;
  /** The HS256 secret for JWTs; default: 32 random bytes per process. */
  jwtSecret?: string;
  /** Default: fresh memory stores. */
  stores?: DemoStores;
}

/** Fresh memory stores. */
export function memoryStores(): DemoStores {
  return {
    users: new MemoryUserStore(),
    tokens: new MemoryTokenStore(),
    sessions: new MemorySessionStore(),
    revocations: new MemoryRevocationStore(),
  };
}

/** Builds the demo server (not yet listening) with a seeded user `demo` (created when missing). */
export async function createDemoServer(options: DemoOptions = {}): Promise<Server> {
  const { users, tokens, sessions: sessionStore, revocations } = options.stores ?? memoryStores();
  const password = options.password ?? "demo";
  const demo = await users.findByUsername("demo");
  if (demo === null) await users.create({ username: "demo", passwordHash: await hashPassword(password) });
  else if (!(await verifyPassword(password, demo.passwordHash)).valid) {
    await users.setPasswordHash(demo.id, await hashPassword(password));
  }
  const jwt = new JWTService({
    signingKey: options.jwtSecret ?? crypto.getRandomValues(new Uint8Array(32)),
    users,
    revocations,
    rotateRefreshTokens: true,
    blacklistAfterRotation: true,
  });
  // Plain http on 127.0.0.1, so the cookies cannot be Secure: set `secure: true` (the default) behind HTTPS.
  const sessions = new SessionManager({ store: sessionStore, users, secure: false });
  const basic = new BasicAuthentication({ users });
  const bearer = new JWTAuthentication({ jwt });
  const token = new TokenAuthentication({ tokens, users });
  const session = new SessionAuthentication({ sessions });
  // DRF's rule: the first scheme decides the answer to an anonymous request. API views put Basic
  // first (401 with `WWW-Authenticate: Basic realm="api"`, for curl); views the login page calls put
  // the session first (403 without a challenge), as a challenge would make the browser pop up its own
  // sign-in dialog, even for the page's fetch(). DRF's per-view `authentication_classes`.
  const apiSchemes = [basic, token, bearer, session];
  const browserSchemes = [session, basic, token, bearer];
  const tokenViews = createJWTHandlers(jwt);
  const sessionViews = sessionHandlers({ sessions });
  const endpoints: Record<string, (request: Request) => Promise<Response>> = {
    "/api-token-auth/": obtainAuthToken({ users, tokens }),
    "/api/token/": tokenViews.obtainPair,
    "/api/token/refresh/": tokenViews.refresh,
    "/api/token/verify/": tokenViews.verify,
    "/api/token/blacklist/": tokenViews.blacklist,
    "/api/session/csrf/": sessionViews.csrf,
    "/api/session/login/": sessionViews.login,
    "/api/session/logout/": sessionViews.logout,
  };
  // Protected views: the methods each accepts, and what it answers for the authenticated user.
  const views: Record<
    string,
    {
      methods: string[];
      schemes: typeof apiSchemes;
      answer: (user: { id: string; username: string }) => unknown;
    }
  > = {
    "/api/me/": {
      methods: ["GET", "HEAD"],
      schemes: apiSchemes,
      answer: ({ id, username }) => ({ id, username }),
    },
    "/api/ping/": {
      methods: ["GET", "POST"],
      schemes: browserSchemes,
      answer: ({ username }) => ({ pong: true, username }),
    },
  };

  return createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      // An unexpected error (a SchemeError, say) is logged and answered 500: never anonymous.
      console.error(error);
      if (!res.headersSent) send(res, 500, { detail: "A server error occurred." });
      else res.end();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const endpoint = endpoints[path];
    if (endpoint) return write(res, await endpoint(toFetchRequest(req)));
    if (path === "/login" || path === "/login/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      return void res.end(LOGIN_PAGE);
    }
    if (path === "/api/public/") {
      if (req.method !== "GET" && req.method !== "HEAD") return notAllowed(res, req.method, ["GET", "HEAD"]);
      return send(res, 200, { message: "Hello, anonymous or not." });
    }
    const view = views[path];
    if (!view) return send(res, 404, { detail: "Not found." });

    // DRF's APIView.initial(): authentication runs before the method is checked, so an anonymous
    // POST is asked for credentials (401) rather than told the method (405).
    const result = await authenticate(toAuthRequest(req), view.schemes);
    if (result.outcome !== "success") {
      const parts = errorResponseParts(result)!;
      return send(res, parts.status, parts.body, parts.headers);
    }
    if (!view.methods.includes(req.method ?? "")) return notAllowed(res, req.method, view.methods);
    send(res, 200, view.answer(result.user));
  }
}

function notAllowed(res: ServerResponse, method: string | undefined, allowed: string[]): void {
  send(res, 405, { detail: `Method "${method}" not allowed.` }, { Allow: allowed.join(", ") });
}

// A view over IncomingMessage: no copy, no body read.
function toAuthRequest(req: IncomingMessage): AuthRequest {
  return {
    method: req.method ?? "GET",
    // Absolute, so the CSRF check knows the request's own origin.
    url: `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`,
    headers: {
      get(name) {
        const value = req.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
  };
}

// The endpoint handlers take a Fetch Request: the body streams through, unread until they read it.
function toFetchRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`), {
    method: req.method ?? "GET",
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: "half" } : {}),
  } as RequestInit);
}

async function write(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  // Each cookie is its own Set-Cookie line: they cannot be joined with commas.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
