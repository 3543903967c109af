/**
 * One server of the HTTP comparison (bench/http.ts), run in its own child process so the load generator
 * and the server never share an event loop. `process.argv[2]` names the contender; the parent sends the
 * HS256 secret and the user count over IPC, and the server answers with the port it listens on
 * (127.0.0.1, port 0). Every contender serves `GET /api/me/` with `{"id": ..., "username": ...}`.
 *
 * Messages: `{ type: "config" }` → `{ type: "listening", port }`; `{ type: "cpu" }` → `{ type: "cpu",
 * micros }` (the process's user + system CPU time so far); `{ type: "exit" }` closes the server and exits.
 */
import { createSecretKey } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import express, { type Request, type Response } from "express";
import Fastify, { type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from "fastify";
import { Hono, type MiddlewareHandler } from "hono";
import { jwt as honoJwt, type JwtVariables } from "hono/jwt";
import passport from "passport";
import { ExtractJwt, Strategy as JwtStrategy } from "passport-jwt";
import type { Duration } from "../src/adapter-kit.js";
import { auth as expressAuth } from "../src/adapters/express.js";
import { type AuthenticatedRequest, auth as fastifyAuth, plugin } from "../src/adapters/fastify.js";
import { type AuthVariables, auth as honoAuth } from "../src/adapters/hono.js";
import { type DefaultUser, JWTAuthentication, JWTService, MemoryUserStore } from "../src/index.js";
import { RedisThrottleStore } from "../src/stores/redis/index.js";
import { type Throttle, UserRateThrottle } from "../src/throttling/index.js";
import { BARE_USER_ID, HTTP_NAMES, type ServerKind } from "./http-names.js";

/** What the parent sends before the server starts. */
export interface ServerConfig {
  type: "config";
  /** The HS256 secret (a string, as a Django SECRET_KEY). */
  secret: string;
  /** Users `user0` ... `user{n-1}`, ids "1" ... "n" in a fresh MemoryUserStore, as the parent's. */
  users: number;
  /** The access token lifetime the parent minted with. */
  accessTokenLifetime: Duration;
  /** Entries of portcullis's verified-token cache for the `-cache` contenders. */
  cacheSize: number;
  /** Redis for the `-throttled` contenders, and the key prefix of this run. */
  redis?: { url: string; prefix: string };
}

/** What the parent asks for once the server listens. */
export type ServerRequest = { type: "cpu" } | { type: "exit" };

/** What the server answers. */
export type ServerMessage = { type: "listening"; port: number } | { type: "cpu"; micros: number };

/**
 * The `-throttled` contenders' throttle: a per-user rate never reached (1,000 users share the load), on
 * Redis, as several instances behind a load balancer would count: one round trip per request.
 */
async function throttlesOf(kind: ServerKind, config: ServerConfig): Promise<Throttle[] | undefined> {
  if (!kind.endsWith("-throttled")) return undefined;
  const store = new RedisThrottleStore({ client: await redisOf(config), prefix: config.redis!.prefix });
  return [new UserRateThrottle({ rate: "1000000/hour", store })];
}

async function redisOf(config: ServerConfig) {
  if (config.redis === undefined) throw new Error("this server needs Redis");
  const { Redis } = await import("ioredis");
  return new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
}

/**
 * The `-redis-get` contenders' step after authentication: one plain `GET` of a per-user key, the least
 * a shared count can cost (one round trip), to set the throttled rows beside.
 */
async function redisGetOf(
  kind: ServerKind,
  config: ServerConfig,
): Promise<((id: string) => Promise<unknown>) | null> {
  if (!kind.endsWith("-redis-get")) return null;
  const client = await redisOf(config);
  return (id) => client.get(`${config.redis!.prefix}get:${id}`);
}

/** The route's answer, from the authenticated user. */
function me(user: DefaultUser): { id: string; username: string } {
  return { id: user.id, username: user.username };
}

async function usersOf(config: ServerConfig): Promise<MemoryUserStore> {
  const users = new MemoryUserStore();
  for (let i = 0; i < config.users; i++) await users.create({ username: `user${i}`, passwordHash: null });
  return users;
}

function portcullisScheme(config: ServerConfig, users: MemoryUserStore, cache: boolean) {
  const jwt = new JWTService({
    algorithm: "HS256",
    signingKey: config.secret,
    accessTokenLifetime: config.accessTokenLifetime,
    users,
    ...(cache ? { verifiedTokenCache: config.cacheSize } : {}),
  });
  return new JWTAuthentication({ jwt });
}

/**
 * The lookup portcullis's JWTAuthentication does, for the peers that only verify the token:
 * MemoryUserStore.findById on the `user_id` claim, active users only.
 */
async function lookUp(users: MemoryUserStore, payload: { user_id?: unknown }): Promise<DefaultUser | null> {
  const id = payload.user_id;
  const record = typeof id === "string" ? await users.findById(id) : null;
  return record?.isActive ? record.user : null;
}

/** The 401 body of the peers' user lookup (portcullis's `user_not_found`). */
const USER_NOT_FOUND = { detail: "User not found", code: "user_not_found" };

/** passport-jwt's strategy; `fair`: a KeyObject (jsonwebtoken's fast path) and `algorithms`. */
function passportStrategy(config: ServerConfig, users: MemoryUserStore, fair: boolean): JwtStrategy {
  return new JwtStrategy(
    {
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // jsonwebtoken takes a KeyObject too; the types only list string | Buffer.
      secretOrKey: fair
        ? (createSecretKey(Buffer.from(config.secret, "utf8")) as unknown as string)
        : config.secret,
      ...(fair ? { algorithms: ["HS256" as const] } : {}),
    },
    (payload: { user_id?: unknown }, done: (error: unknown, user?: unknown) => void) => {
      lookUp(users, payload).then(
        (user) => done(null, user ?? false),
        (error: unknown) => done(error),
      );
    },
  );
}

async function expressServer(
  kind: ServerKind,
  config: ServerConfig,
  users: MemoryUserStore,
): Promise<Server> {
  const app = express();
  const handler = (req: Request, res: Response) => {
    res.json(me(req.user as DefaultUser));
  };
  if (kind === "express-bare") {
    const fixed = (await users.findById(BARE_USER_ID))!.user;
    app.get("/api/me/", (_req, res) => {
      res.json(me(fixed));
    });
  } else if (kind === "express-passport-readme" || kind === "express-passport-fair") {
    // As passport-jwt's README: the default passport instance, no session, no passport.initialize()
    // (passport 0.7's authenticate() adds what it needs to req itself).
    passport.use(passportStrategy(config, users, kind === "express-passport-fair"));
    app.get("/api/me/", passport.authenticate("jwt", { session: false }), handler);
  } else {
    const scheme = portcullisScheme(config, users, kind === "express-portcullis-cache");
    const throttles = await throttlesOf(kind, config);
    const get = await redisGetOf(kind, config);
    const middleware = expressAuth({ schemes: [scheme], ...(throttles ? { throttles } : {}) });
    if (get === null) app.get("/api/me/", middleware, handler);
    else {
      app.get("/api/me/", middleware, async (req: Request, res: Response) => {
        await get((req.user as DefaultUser).id);
        handler(req, res);
      });
    }
  }
  return new Promise((resolve, reject) => {
    const server = app.listen(0, "127.0.0.1", (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

// @fastify/jwt's types declare FastifyRequest's `user` for the whole program, and tsconfig.node.json
// compiles bench/ with src/ (whose plugin decorates `user`): imported by a name TypeScript does not
// resolve, its types stay out, and the little used here is typed below.
const FASTIFY_JWT = "@fastify/jwt";

/** The part of @fastify/jwt's request the peer uses. */
interface JwtRequest {
  jwtVerify<Payload>(): Promise<Payload>;
  user: unknown;
}

async function fastifyServer(
  kind: ServerKind,
  config: ServerConfig,
  users: MemoryUserStore,
): Promise<Server> {
  const app = Fastify();
  if (kind === "fastify-jwt") {
    // As @fastify/jwt's README: the plugin with the secret, `await request.jwtVerify()` in an onRequest
    // hook, its error sent as the answer; then the user lookup, which the plugin leaves to the app.
    const { default: fastifyJwt } = (await import(FASTIFY_JWT)) as {
      default: FastifyPluginAsync<{ secret: string }>;
    };
    await app.register(fastifyJwt, { secret: config.secret });
    const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
      const jwtRequest = request as unknown as JwtRequest;
      let payload: { user_id?: unknown };
      try {
        payload = await jwtRequest.jwtVerify<{ user_id?: unknown }>();
      } catch (error) {
        reply.send(error);
        return;
      }
      const user = await lookUp(users, payload);
      if (user === null) {
        reply.code(401).send(USER_NOT_FOUND);
        return;
      }
      jwtRequest.user = user;
    };
    app.get("/api/me/", { onRequest }, async (request) =>
      me((request as unknown as JwtRequest).user as DefaultUser),
    );
  } else {
    await app.register(plugin);
    const scheme = portcullisScheme(config, users, false);
    const throttles = await throttlesOf(kind, config);
    const get = await redisGetOf(kind, config);
    const preHandler = fastifyAuth({ schemes: [scheme], ...(throttles ? { throttles } : {}) });
    app.get("/api/me/", { preHandler }, async (request) => {
      const { user } = request as AuthenticatedRequest<DefaultUser>;
      if (get !== null) await get(user.id);
      return me(user);
    });
  }
  await app.listen({ port: 0, host: "127.0.0.1" });
  return app.server;
}

/** The Hono app's variables: portcullis's `user` and `auth`, hono/jwt's `jwtPayload`. */
type HonoEnv = { Variables: AuthVariables<DefaultUser> & JwtVariables<{ user_id?: unknown }> };

async function honoServer(kind: ServerKind, config: ServerConfig, users: MemoryUserStore): Promise<Server> {
  const app = new Hono<HonoEnv>();
  if (kind === "hono-jwt") {
    // As hono/jwt's docs: `jwt({ secret, alg })` (its payload in `c.get("jwtPayload")`); then the user
    // lookup in a second middleware, which hono/jwt leaves to the app.
    const lookUpUser: MiddlewareHandler<HonoEnv> = async (c, next) => {
      const user = await lookUp(users, c.get("jwtPayload"));
      if (user === null) return c.json(USER_NOT_FOUND, 401);
      c.set("user", user);
      return next();
    };
    app.get("/api/me/", honoJwt({ secret: config.secret, alg: "HS256" }), lookUpUser, (c) =>
      c.json(me(c.get("user"))),
    );
  } else {
    const scheme = portcullisScheme(config, users, false);
    app.get("/api/me/", honoAuth({ schemes: [scheme] }), (c) => c.json(me(c.get("user"))));
  }
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () =>
      resolve(server as Server),
    );
  });
}

async function start(kind: ServerKind, config: ServerConfig): Promise<Server> {
  const users = await usersOf(config);
  if (kind.startsWith("express")) return expressServer(kind, config, users);
  if (kind.startsWith("fastify")) return fastifyServer(kind, config, users);
  return honoServer(kind, config, users);
}

function send(message: ServerMessage): void {
  process.send!(message);
}

const kind = process.argv[2] as ServerKind;
if (!Object.hasOwn(HTTP_NAMES, kind)) throw new Error(`unknown server kind: ${String(kind)}`);
if (process.send === undefined) throw new Error("bench/http-server.ts runs as a child of bench/http.ts");

function fail(error: unknown): void {
  console.error(error);
  process.exit(1);
}

let server: Server | undefined;
process.on("message", (message: ServerConfig | ServerRequest) => {
  if (message.type === "config") {
    start(kind, message).then((listening) => {
      server = listening;
      send({ type: "listening", port: (listening.address() as AddressInfo).port });
    }, fail);
  } else if (message.type === "cpu") {
    const { user, system } = process.cpuUsage();
    send({ type: "cpu", micros: user + system });
  } else if (message.type === "exit") {
    server?.closeAllConnections();
    server?.close();
    process.exit(0);
  }
});
// The parent went away: leave too.
process.on("disconnect", () => process.exit(0));
