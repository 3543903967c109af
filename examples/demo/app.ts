/**
 * The demo application: a node:http server with a public route, `/api/me/` behind Basic, Token, JWT
 * and session authentication, an admin-only route, a throttled route, simplejwt's token endpoints and
 * the session login, every login point under a lockout. `npm start` runs it (server.ts); tests start it
 * on a free port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { createAuth } from "../../src/adapters/node.js";
import {
  type BaseAuthentication,
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
import { IsAdminUser, type Permission } from "../../src/permissions.js";
import {
  AnonRateThrottle,
  Lockout,
  MemoryThrottleStore,
  type Throttle,
  type ThrottleStore,
  UserRateThrottle,
} from "../../src/throttling/index.js";
import { LOGIN_PAGE } from "./login-page.js";

/** The stores the demo runs on: memory by default; `npm start` passes SQLite ones. */
export interface DemoStores {
  users: UserStore<DefaultUser> & Required<Pick<UserStore<DefaultUser>, "create">>;
  tokens: TokenStore;
  sessions: SessionStore;
  revocations: RevocationStore;
  /** Where throttles and the lockout count. */
  throttles: ThrottleStore;
}

export interface DemoOptions {
  /** The seeded user's password; default "demo". */
  password?: string;
  /** The seeded staff user `admin`'s password; default "admin". */
  adminPassword?: string;
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
    throttles: new MemoryThrottleStore(),
  };
}

/** Creates `username` (staff or not) when missing, or resets its password when it differs. */
async function seed(users: DemoStores["users"], username: string, password: string, isStaff: boolean) {
  const found = await users.findByUsername(username);
  if (found === null) await users.create({ username, passwordHash: await hashPassword(password), isStaff });
  else if (!(await verifyPassword(password, found.passwordHash)).valid) {
    await users.setPasswordHash(found.id, await hashPassword(password));
  }
}

/**
 * Builds the demo server (not yet listening) with a seeded user `demo` and a staff user `admin`
 * (created when missing).
 */
export async function createDemoServer(options: DemoOptions = {}): Promise<Server> {
  const { users, tokens, sessions: sessionStore, revocations, throttles } = options.stores ?? memoryStores();
  await seed(users, "demo", options.password ?? "demo", false);
  await seed(users, "admin", options.adminPassword ?? "admin", true);
  const jwt = new JWTService({
    signingKey: options.jwtSecret ?? crypto.getRandomValues(new Uint8Array(32)),
    users,
    revocations,
    rotateRefreshTokens: true,
    blacklistAfterRotation: true,
  });
  // django-axes' idea at every login point: 5 failures of one username from one address lock that pair
  // for a minute (short, so that the walkthrough can be run again); 100 from one address lock it.
  const lockout = new Lockout({ store: throttles, failures: 5, ipFailures: 100, coolOff: "1m" });
  // Plain http on 127.0.0.1, so the cookies cannot be Secure: set `secure: true` (the default) behind HTTPS.
  const sessions = new SessionManager({ store: sessionStore, users, secure: false });
  const basic = new BasicAuthentication({ users, lockout });
  const bearer = new JWTAuthentication({ jwt });
  const token = new TokenAuthentication({ tokens, users });
  const session = new SessionAuthentication({ sessions });
  // DRF's rule: the first scheme decides the answer to an anonymous request. API views put Basic
  // first (401 with `WWW-Authenticate: Basic realm="api"`, for curl); views the login page calls put
  // the session first (403 without a challenge), as a challenge would make the browser pop up its own
  // sign-in dialog, even for the page's fetch(). DRF's per-view `authentication_classes`.
  const apiSchemes = [basic, token, bearer, session];
  const browserSchemes = [session, basic, token, bearer];
  const tokenViews = createJWTHandlers(jwt, { lockout });
  const sessionViews = sessionHandlers({ sessions, lockout });
  const endpoints: Record<
    string,
    (request: Request, info: { remoteAddress: string | null }) => Promise<Response>
  > = {
    "/api-token-auth/": obtainAuthToken({ users, tokens, lockout }),
    "/api/token/": tokenViews.obtainPair,
    "/api/token/refresh/": tokenViews.refresh,
    "/api/token/verify/": tokenViews.verify,
    "/api/token/blacklist/": tokenViews.blacklist,
    "/api/session/csrf/": sessionViews.csrf,
    "/api/session/login/": sessionViews.login,
    "/api/session/logout/": sessionViews.logout,
  };
  // DRF's throttle rates, counted in the same store as the lockout.
  const rates: Throttle<DefaultUser>[] = [
    new AnonRateThrottle({ rate: "5/minute", store: throttles }),
    new UserRateThrottle({ rate: "10/minute", store: throttles }),
  ];
  // Protected views: the methods each accepts, DRF's three steps (schemes, permissions, throttles),
  // and what it answers for the user (null: anonymous, where the view allows it).
  const { auth } = createAuth<DefaultUser>({ schemes: apiSchemes });
  const view = (
    methods: string[],
    answer: (user: DefaultUser | null) => unknown,
    options: {
      schemes?: BaseAuthentication<DefaultUser>[];
      required?: boolean;
      permissions?: Permission<DefaultUser>[];
      throttles?: Throttle<DefaultUser>[];
    } = {},
  ) => ({ methods, answer, check: auth(options) });
  const views: Record<string, ReturnType<typeof view>> = {
    "/api/me/": view(["GET", "HEAD"], (user) => ({ id: user!.id, username: user!.username })),
    "/api/ping/": view(["GET", "POST"], (user) => ({ pong: true, username: user!.username }), {
      schemes: browserSchemes,
    }),
    "/api/admin/": view(["GET"], (user) => ({ admin: true, username: user!.username }), {
      permissions: [IsAdminUser],
    }),
    "/api/throttled/": view(["GET"], (user) => ({ message: "Counted.", username: user?.username ?? null }), {
      required: false,
      throttles: rates,
    }),
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
    // The socket's address goes with the request: the lockout counts failures per client.
    if (endpoint)
      return write(
        res,
        await endpoint(toFetchRequest(req), { remoteAddress: req.socket.remoteAddress ?? null }),
      );
    if (path === "/login" || path === "/login/") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
      return void res.end(LOGIN_PAGE);
    }
    if (path === "/api/public/") {
      if (req.method !== "GET" && req.method !== "HEAD") return notAllowed(res, req.method, ["GET", "HEAD"]);
      return send(res, 200, { message: "Hello, anonymous or not." });
    }
    const found = views[path];
    if (!found) return send(res, 404, { detail: "Not found." });

    // DRF's APIView.initial(): authentication, permissions and throttles run before the method is
    // checked, so an anonymous POST is asked for credentials (401) rather than told the method (405).
    // The check answers 401/403/429/500/503 itself and resolves to null.
    const authed = await found.check(req, res);
    if (authed === null) return;
    if (!found.methods.includes(req.method ?? "")) return notAllowed(res, req.method, found.methods);
    send(res, 200, found.answer(authed.user));
  }
}

function notAllowed(res: ServerResponse, method: string | undefined, allowed: string[]): void {
  send(res, 405, { detail: `Method "${method}" not allowed.` }, { Allow: allowed.join(", ") });
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
