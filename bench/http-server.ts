/**
 * One server of the HTTP comparison (bench/http.ts), run in its own child process so the load generator
 * and the server never share an event loop. `process.argv[2]` names the contender; the parent sends the
 * HS256 secret and the user count over IPC, and the server answers with the port it listens on
 * (127.0.0.1, port 0). Every contender serves `GET /api/me/` with `{"id": ..., "username": ...}`.
 *
 * Messages: `{ type: "config" }` → `{ type: "listening", port }`; `{ type: "cpu" }` → `{ type: "cpu",
 * micros }` (the process's user + system CPU time so far); `profile-start` / `profile-stop` run V8's
 * sampling profiler (what `node --cpu-prof` runs) over a window the parent chooses, for
 * bench/http-profile.ts; `{ type: "exit" }` closes the server and exits.
 */
import { createSecretKey } from "node:crypto";
import type { Server } from "node:http";
import { type Profiler, Session } from "node:inspector";
import type { AddressInfo } from "node:net";
import express, { type Request, type Response } from "express";
import Fastify, { type FastifyRequest } from "fastify";
import passport from "passport";
import { ExtractJwt, Strategy as JwtStrategy } from "passport-jwt";
import { auth as expressAuth } from "../src/adapters/express.js";
import { type AuthenticatedRequest, auth as fastifyAuth, plugin } from "../src/adapters/fastify.js";
import {
  type DefaultUser,
  type Duration,
  JWTAuthentication,
  JWTService,
  MemoryUserStore,
} from "../src/index.js";
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
}

/** What the parent asks for once the server listens. */
export type ServerRequest =
  | { type: "cpu" }
  | { type: "exit" }
  | { type: "profile-start"; intervalMicros: number }
  | { type: "profile-stop" };

/** What the server answers. */
export type ServerMessage =
  | { type: "listening"; port: number }
  | { type: "cpu"; micros: number }
  | { type: "profile-started" }
  | { type: "profile"; profile: Profiler.Profile };

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
      // The lookup portcullis's JWTAuthentication does: MemoryUserStore.findById, active users only.
      const id = payload.user_id;
      (typeof id === "string" ? users.findById(id) : Promise.resolve(null)).then(
        (record) => done(null, record?.isActive ? record.user : false),
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
  } else if (kind === "express-noop-middleware") {
    const fixed = (await users.findById(BARE_USER_ID))!.user;
    // Two plain property writes, as any middleware that authenticates makes.
    const middleware = (req: Request, _res: Response, next: () => void) => {
      (req as unknown as { user: unknown; auth: unknown }).user = fixed;
      (req as unknown as { user: unknown; auth: unknown }).auth = null;
      next();
    };
    app.get("/api/me/", middleware, handler);
  } else if (kind === "express-passport-readme" || kind === "express-passport-fair") {
    // As passport-jwt's README: the default passport instance, no session, no passport.initialize()
    // (passport 0.7's authenticate() adds what it needs to req itself).
    passport.use(passportStrategy(config, users, kind === "express-passport-fair"));
    app.get("/api/me/", passport.authenticate("jwt", { session: false }), handler);
  } else {
    const scheme = portcullisScheme(config, users, kind === "express-portcullis-cache");
    app.get("/api/me/", expressAuth({ schemes: [scheme] }), handler);
  }
  return new Promise((resolve, reject) => {
    const server = app.listen(0, "127.0.0.1", (error?: Error) => (error ? reject(error) : resolve(server)));
  });
}

async function fastifyServer(
  kind: ServerKind,
  config: ServerConfig,
  users: MemoryUserStore,
): Promise<Server> {
  const app = Fastify();
  if (kind === "fastify-bare") {
    const fixed = (await users.findById(BARE_USER_ID))!.user;
    app.get("/api/me/", async () => me(fixed));
  } else if (kind === "fastify-noop-prehandler") {
    const fixed = (await users.findById(BARE_USER_ID))!.user;
    await app.register(plugin);
    const preHandler = async (request: FastifyRequest) => {
      (request as AuthenticatedRequest<DefaultUser>).user = fixed;
    };
    app.get("/api/me/", { preHandler }, async (request) =>
      me((request as AuthenticatedRequest<DefaultUser>).user),
    );
  } else {
    await app.register(plugin);
    const scheme = portcullisScheme(config, users, kind === "fastify-portcullis-cache");
    app.get("/api/me/", { preHandler: fastifyAuth({ schemes: [scheme] }) }, async (request) =>
      me((request as AuthenticatedRequest<DefaultUser>).user),
    );
  }
  await app.listen({ port: 0, host: "127.0.0.1" });
  return app.server;
}

async function start(kind: ServerKind, config: ServerConfig): Promise<Server> {
  const users = await usersOf(config);
  return kind.startsWith("express") ? expressServer(kind, config, users) : fastifyServer(kind, config, users);
}

function send(message: ServerMessage): void {
  process.send!(message);
}

const kind = process.argv[2] as ServerKind;
if (!Object.hasOwn(HTTP_NAMES, kind)) throw new Error(`unknown server kind: ${String(kind)}`);
if (process.send === undefined) throw new Error("bench/http-server.ts runs as a child of bench/http.ts");

/** `Profiler.*` through an inspector session in this process. */
function inspect<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

let session: Session | undefined;
async function startProfile(intervalMicros: number): Promise<void> {
  session = new Session();
  session.connect();
  await inspect(session, "Profiler.enable");
  await inspect(session, "Profiler.setSamplingInterval", { interval: intervalMicros });
  await inspect(session, "Profiler.start");
}

async function stopProfile(): Promise<Profiler.Profile> {
  const { profile } = await inspect<Profiler.StopReturnType>(session!, "Profiler.stop");
  session!.disconnect();
  return profile;
}

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
  } else if (message.type === "profile-start") {
    startProfile(message.intervalMicros).then(() => send({ type: "profile-started" }), fail);
  } else if (message.type === "profile-stop") {
    stopProfile().then((profile) => send({ type: "profile", profile }), fail);
  } else if (message.type === "exit") {
    server?.closeAllConnections();
    server?.close();
    process.exit(0);
  }
});
// The parent went away: leave too.
process.on("disconnect", () => process.exit(0));
