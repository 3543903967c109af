/**
 * The scale-out tests' world: a fresh PostgreSQL schema (migrated once, one user) and a fresh Redis key
 * prefix, server processes on them (tests/scale-out/server.ts), and a small HTTP client that keeps
 * statuses, bodies, cookies and timings.
 *
 * Services rule (issue 7): PORTCULLIS_PG_URL and PORTCULLIS_REDIS_URL; under CI=true the suites run and
 * fail when a service cannot be reached, elsewhere they skip with a one-line reason.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { hashPassword } from "../../src/index.js";
import { KyselyUserStore, migrateToLatest } from "../../src/stores/kysely/index.js";
import {
  PG_URL,
  type PostgresSchema,
  postgresSchema,
  postgresSkipReason,
} from "../stores/kysely/databases.js";
import { connect, deleteKeys, REDIS_URL, skipRedis } from "../stores/redis/service.js";
import { type ServerEnv, TEST_PASSWORDS, USER } from "./env.js";

export { PG_URL, REDIS_URL };

/** Why the scale-out suites skip (a one-line reason), or null when they run. */
export async function skipReason(): Promise<string | null> {
  const postgres = await postgresSkipReason();
  if (postgres !== null) return `PostgreSQL unreachable (${postgres})`;
  return skipRedis ? `Redis unreachable (${REDIS_URL})` : null;
}

/** A fresh schema and prefix with the run's user, and how to start servers on them and clean up. */
export interface World {
  schema: string;
  prefix: string;
  /** The user's id. */
  userId: string;
  /** A Redis client of the test's own (for cleanup). */
  redis: Redis;
  /** Starts a server process on this world, with PostgreSQL and Redis at the given URLs (default: direct). */
  start(name: string, urls?: { pg?: string; redis?: string }): Promise<ServerProcess>;
  /** Stops every server started here, drops the schema and deletes the prefix's keys. */
  close(): Promise<void>;
}

/** Creates the world: schema created and migrated once, the user created, a prefix chosen. */
export async function createWorld(): Promise<World> {
  let database: PostgresSchema | undefined;
  let redis: Redis | undefined;
  const servers: ServerProcess[] = [];
  const prefix = `{portcullis-scale-out:${randomUUID()}}:`;
  const secret = randomBytes(32).toString("hex");
  const close = async (): Promise<void> => {
    const stops = await Promise.allSettled(servers.map((server) => server.stop()));
    const cleanups = await Promise.allSettled([
      database?.drop(),
      redis ? deleteKeys(redis, prefix).finally(() => redis?.quit()) : undefined,
    ]);
    const failed = [...stops, ...cleanups].find((outcome) => outcome.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  };
  try {
    database = await postgresSchema(2);
    await migrateToLatest(database.db);
    const users = new KyselyUserStore({ db: database.db });
    const user = await users.create({
      username: USER.username,
      passwordHash: await hashPassword(USER.password, TEST_PASSWORDS),
    });
    redis = await connect();
    const { schema } = database;
    return {
      schema,
      prefix,
      userId: user.id,
      redis,
      async start(name, urls = {}) {
        const server = await startServer({
          SCALE_OUT_NAME: name,
          SCALE_OUT_PG_URL: urls.pg ?? PG_URL,
          SCALE_OUT_PG_SCHEMA: schema,
          SCALE_OUT_REDIS_URL: urls.redis ?? REDIS_URL,
          SCALE_OUT_REDIS_PREFIX: prefix,
          SCALE_OUT_JWT_SECRET: secret,
        });
        servers.push(server);
        return server;
      },
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/** A running server process. */
export interface ServerProcess {
  name: string;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it has exited. */
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL("./server.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Spawns `node --import tsx server.ts` and waits (up to 20 s) for its "listening on" line. */
export async function startServer(env: ServerEnv): Promise<ServerProcess> {
  // stdin stays a pipe: the server exits when it closes, so a test process that dies takes it along.
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", SERVER], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_OPTIONS: "" }, // none of the test runner's loader flags
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server ${env.SCALE_OUT_NAME} did not start in 20 s`)),
        20_000,
      );
      const read = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout?.on("data", read);
      child.stderr?.on("data", read);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`server ${env.SCALE_OUT_NAME} exited with ${child.exitCode}`));
      });
    });
    return { name: env.SCALE_OUT_NAME, base, output: () => output, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}:\n${output}`);
  }
}

/** The tail of what the servers printed (their 500s' stacks), for an assertion's message. */
export function logs(servers: ServerProcess[]): string {
  return servers.map((server) => `--- server ${server.name}:\n${server.output().slice(-4_000)}`).join("\n");
}

/** One answer, as the tests look at it. */
export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or null for an empty one. */
  body: unknown;
  /** The request's wall-clock time, ms. */
  ms: number;
}

/** Sends a request (a JSON body when `json` is given) and reads the whole answer. */
export async function call(
  base: string,
  path: string,
  init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.json !== undefined) headers["Content-Type"] = "application/json";
  const started = performance.now();
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers,
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? null : JSON.parse(text),
    ms: performance.now() - started,
  };
}

/** The cookies an answer sets, by name (the value only). */
export function setCookies(answer: Answer): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const line of answer.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const at = pair!.indexOf("=");
    cookies[pair!.slice(0, at).trim()] = pair!.slice(at + 1).trim();
  }
  return cookies;
}

/** A `Cookie` header. */
export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
}

/** A session on `base`: the CSRF cookie, then the login with it. Answers the cookies to send afterwards. */
export async function sessionLogin(base: string): Promise<Record<string, string>> {
  const csrf = await call(base, "/api/session/csrf/");
  if (csrf.status !== 200) throw new Error(`csrf: ${csrf.status} ${JSON.stringify(csrf.body)}`);
  const cookies = setCookies(csrf);
  const login = await call(base, "/api/session/login/", {
    json: { username: USER.username, password: USER.password },
    headers: { Cookie: cookieHeader(cookies), "X-CSRFToken": (csrf.body as { csrfToken: string }).csrfToken },
  });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return { ...cookies, ...setCookies(login) };
}

/** DRF's 503 body for a store that cannot answer. */
export const SERVICE_UNAVAILABLE = {
  detail: "Service temporarily unavailable, try again later.",
  code: "service_unavailable",
} as const;
