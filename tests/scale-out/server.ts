/**
 * One app instance of the scale-out tests: a node:http server on 127.0.0.1 (a free port) whose users and
 * tokens live in PostgreSQL (the Kysely stores, on a schema the test migrated), sessions in Redis, and
 * JWT revocations in either, one set of JWT endpoints per revocation store. Every instance of a run
 * gets the same databases and the same signing secret, as instances behind a load balancer would.
 *
 * Run as `node --import tsx tests/scale-out/server.ts` with the environment of `ServerEnv` (env.ts); it
 * prints `listening on http://127.0.0.1:<port>` when ready, and exits when its stdin closes (the test
 * process is gone) or on SIGTERM.
 *
 * Routes:
 * - `GET /api/me/`: Token, JWT (access) or session → 200 `{"id", "username", "server"}`;
 * - `POST /api-token-auth/` (DRF's obtain_auth_token), `POST /api/auth/logout/` (knox's LogoutView);
 * - `POST /api/{pg,redis}/token/`, `…/token/refresh/`, `…/token/verify/`, `…/token/blacklist/`: simplejwt's
 *   views, with revocations in PostgreSQL or Redis (rotation and blacklist-after-rotation on);
 * - `GET /api/session/csrf/`, `POST /api/session/login/`, `POST /api/session/logout/`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { Kysely } from "kysely";
import pg from "pg";
import { guard, serverError } from "../../src/adapter-kit.js";
import { sendAuthError, sendFetchResponse, toAuthRequest, toFetchRequest } from "../../src/adapters/node.js";
import {
  createJWTHandlers,
  type EndpointHandler,
  JWTAuthentication,
  JWTService,
  obtainAuthToken,
  type RevocationStore,
  SessionAuthentication,
  SessionManager,
  sessionHandlers,
  TokenAuthentication,
  tokenLogout,
} from "../../src/index.js";
import {
  KyselyRevocationStore,
  KyselyTokenStore,
  KyselyUserStore,
  PreparedPostgresDialect,
} from "../../src/stores/kysely/index.js";
import { RedisRevocationStore, RedisSessionStore } from "../../src/stores/redis/index.js";
import { type ServerEnv, TEST_PASSWORDS } from "./env.js";

function setting(name: keyof ServerEnv): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const name = setting("SCALE_OUT_NAME");
const prefix = setting("SCALE_OUT_REDIS_PREFIX");

// The client settings docs/stores.md recommends: fail at once while a service is down, log lost clients.
const pool = new pg.Pool({
  connectionString: setting("SCALE_OUT_PG_URL"),
  options: `-c search_path=${setting("SCALE_OUT_PG_SCHEMA")}`,
  max: 10,
  connectionTimeoutMillis: 5_000,
});
pool.on("error", (error) => console.error(`[${name}] idle PostgreSQL client lost: ${error.message}`));
pool.on("connect", (client) =>
  client.on("error", (error) => console.error(`[${name}] PostgreSQL client lost: ${error.message}`)),
);
const db = new Kysely({ dialect: new PreparedPostgresDialect({ pool }) }); // as docs/stores.md recommends

const redis = new Redis(setting("SCALE_OUT_REDIS_URL"), {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 2_000,
  lazyConnect: true,
});
redis.on("error", () => {}); // every failure reaches a store as a rejected command (StoreUnavailable)
await redis.connect();

const users = new KyselyUserStore({ db });
const tokens = new KyselyTokenStore({ db });
const sessions = new SessionManager({
  store: new RedisSessionStore({ client: redis, prefix }),
  users,
  secure: false,
});

const revocationStores: Record<string, RevocationStore> = {
  pg: new KyselyRevocationStore({ db }),
  redis: new RedisRevocationStore({ client: redis, prefix }),
};
const jwts = Object.fromEntries(
  Object.entries(revocationStores).map(([store, revocations]) => [
    store,
    new JWTService({
      signingKey: setting("SCALE_OUT_JWT_SECRET"),
      users,
      revocations,
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
    }),
  ]),
);

const token = new TokenAuthentication({ tokens, users });
const schemes = [token, new JWTAuthentication({ jwt: jwts.pg! }), new SessionAuthentication({ sessions })];
const sessionViews = sessionHandlers({ sessions, passwords: TEST_PASSWORDS });
const endpoints: Record<string, EndpointHandler> = {
  "/api-token-auth/": obtainAuthToken({ users, tokens, passwords: TEST_PASSWORDS }),
  "/api/auth/logout/": tokenLogout({ auth: token, tokens }),
  "/api/session/csrf/": sessionViews.csrf,
  "/api/session/login/": sessionViews.login,
  "/api/session/logout/": sessionViews.logout,
};
for (const [store, jwt] of Object.entries(jwts)) {
  const views = createJWTHandlers(jwt, { passwords: TEST_PASSWORDS });
  endpoints[`/api/${store}/token/`] = views.obtainPair;
  endpoints[`/api/${store}/token/refresh/`] = views.refresh;
  endpoints[`/api/${store}/token/verify/`] = views.verify;
  endpoints[`/api/${store}/token/blacklist/`] = views.blacklist;
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const endpoint = endpoints[path];
  if (endpoint) return sendFetchResponse(res, await endpoint(toFetchRequest(req)));
  if (path !== "/api/me/") return send(res, 404, { detail: "Not found." });
  if (req.method !== "GET") {
    return send(res, 405, { detail: `Method "${req.method}" not allowed.` }, { Allow: "GET" });
  }
  // 401/403 with DRF's body; 503 when a store cannot answer; 500 for anything else.
  const outcome = await guard(toAuthRequest(req), { schemes });
  if (!outcome.ok) {
    if (outcome.status === 500) console.error(`[${name}]`, outcome.error);
    return void sendAuthError(res, outcome);
  }
  const { id, username } = outcome.user!;
  send(res, 200, { id, username, server: name });
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

const server = createServer((req, res) => {
  route(req, res).catch((error: unknown) => {
    // An endpoint handler answers 503 itself; what reaches here is unexpected (500), or a store failure
    // outside one (503). Never anonymous, never success.
    const { status, headers, body } = serverError(error);
    if (status === 500) console.error(`[${name}]`, error);
    if (res.headersSent) return void res.destroy();
    send(res, status, body, headers);
  });
});

async function shutdown(): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  redis.disconnect();
  await db.destroy().catch(() => {});
  process.exit(0);
}

for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void shutdown());
// The test process owns this one: when it goes away (even killed), stdin closes and so does this server.
process.stdin.once("close", () => void shutdown());
process.stdin.resume();

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port}`);
});
