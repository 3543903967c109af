/**
 * Requests per second over HTTP on 127.0.0.1: Express, Fastify and Hono servers, each in its own child process
 * (bench/http-server.ts), loaded by autocannon from this process, in interleaved rounds. Every contender
 * gets the same requests: `GET /api/me/` with one of the same warm HS256 access tokens (minted once by
 * portcullis `jwt.obtainPair`, one per user), cycled; every timed run must answer 200 to every request.
 */
import { type ChildProcess, fork } from "node:child_process";
import autocannon from "autocannon";
import type { Duration } from "../src/adapter-kit.js";
import { JWTService, MemoryUserStore } from "../src/index.js";
import { BARE_USER_ID, HTTP_NAMES, type ServerKind } from "./http-names.js";
import type { ServerConfig, ServerMessage, ServerRequest } from "./http-server.js";
import { benchKey } from "./jwt-keys.js";
import { type Summary, summarize } from "./stats.js";

/** Redis for the throttled servers (section 12), and the prefix of this run's keys. */
export const HTTP_REDIS = {
  url: process.env.PORTCULLIS_REDIS_URL ?? "redis://127.0.0.1:6379",
  prefix: `portcullis-bench:${process.pid}:${Date.now()}:`,
};

/** Users, one access token each: the requests every contender cycles through. */
export const HTTP_TOKENS = 1_000;
const ACCESS_LIFETIME = "1h" satisfies Duration;

/** How the rounds run. */
export interface HttpOptions {
  /** Rounds to record; round `r` starts with contender `r mod n`. */
  rounds: number;
  /**
   * Fresh server processes this many times, the rounds shared out between them: one process of a kind
   * can run several percent faster or slower than the next for its whole life (heap and code layout),
   * which rounds within one process cannot average out.
   */
  generations: number;
  /** Seconds of load per contender per round: whole seconds (autocannon stops on its 1 s sample tick). */
  seconds: number;
  /** Seconds of untimed load per contender before the first round. */
  warmupSeconds: number;
  /** autocannon connections (pipelining 1). */
  connections: number;
  /** Entries of portcullis's verified-token cache in the `-cache` contenders. */
  cacheSize: number;
}

export const HTTP_OPTIONS: HttpOptions = {
  rounds: 12,
  generations: 3,
  seconds: 3,
  warmupSeconds: 2,
  connections: 50,
  cacheSize: 1_000,
};

/** A running server in its child process. */
export interface RunningServer {
  kind: ServerKind;
  child: ChildProcess;
  port: number;
  /** The child's user + system CPU time so far, in µs. */
  cpu(): Promise<number>;
  /** Sends `request` and waits for the child's next message of type `answer`. */
  ask<T extends ServerMessage["type"]>(
    request: ServerRequest,
    answer: T,
  ): Promise<Extract<ServerMessage, { type: T }>>;
  /** Closes the server and waits for the process to exit. */
  stop(): Promise<void>;
}

/** The shared material: the secret, the users' tokens, and autocannon's request list. */
export interface HttpFixture {
  secret: string;
  /** `tokens[i]` belongs to user `user${i}`, id `${i + 1}`. */
  tokens: readonly string[];
  requests: autocannon.Request[];
}

/** Mints one access token per user with the run's HS256 secret (bench/jwt-keys.ts). */
export async function httpFixture(): Promise<HttpFixture> {
  const secret = (await benchKey("HS256")).signing;
  const jwt = new JWTService({
    algorithm: "HS256",
    signingKey: secret,
    accessTokenLifetime: ACCESS_LIFETIME,
  });
  const users = new MemoryUserStore();
  const tokens: string[] = [];
  for (let i = 0; i < HTTP_TOKENS; i++) {
    const record = await users.create({ username: `user${i}`, passwordHash: null });
    if (record.id !== String(i + 1)) throw new Error(`unexpected user id ${record.id}`);
    tokens.push((await jwt.obtainPair(record)).access);
  }
  if (new Set(tokens).size !== HTTP_TOKENS) throw new Error("minted tokens are not distinct");
  const requests = tokens.map((token) => ({
    method: "GET" as const,
    path: "/api/me/",
    headers: { authorization: `Bearer ${token}` },
  }));
  return { secret, tokens, requests };
}

const SERVER_FILE = new URL("./http-server.ts", import.meta.url);
const ROOT = new URL("..", import.meta.url);

/** Starts one server in a child process (`node --import tsx`, plus `nodeArgs`) and waits for its port. */
export function startServer(
  kind: ServerKind,
  fixture: HttpFixture,
  cacheSize: number,
  nodeArgs: readonly string[] = [],
): Promise<RunningServer> {
  const child = fork(SERVER_FILE, [kind], {
    cwd: ROOT,
    execArgv: ["--import", "tsx", ...nodeArgs],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const next = <T extends ServerMessage["type"]>(type: T) =>
    new Promise<Extract<ServerMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (message: ServerMessage) => {
        if (message.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message as Extract<ServerMessage, { type: T }>);
      };
      const onExit = (code: number | null) => {
        child.off("message", onMessage);
        reject(new Error(`${kind} server exited (${code}) before answering ${type}`));
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const config: ServerConfig = {
    type: "config",
    secret: fixture.secret,
    users: HTTP_TOKENS,
    accessTokenLifetime: ACCESS_LIFETIME,
    cacheSize,
    redis: HTTP_REDIS,
  };
  const listening = next("listening");
  child.send(config);
  const ask = <T extends ServerMessage["type"]>(request: ServerRequest, type: T) => {
    const answer = next(type);
    child.send(request);
    return answer;
  };
  return listening.then(({ port }) => ({
    kind,
    child,
    port,
    ask,
    cpu: () => ask({ type: "cpu" }, "cpu").then(({ micros }) => micros),
    stop: () => {
      if (child.exitCode === null && child.connected) child.send({ type: "exit" });
      return exited;
    },
  }));
}

/**
 * Checks a server before timing: every token answers 200 with exactly `{"id":...,"username":...}` of its
 * own user (the server without authentication: of its fixed user), so every pair answers the same status
 * and body; and an authenticating server answers 401 to a token signed with another secret.
 */
export async function checkServer(server: RunningServer, fixture: HttpFixture): Promise<void> {
  const url = `http://127.0.0.1:${server.port}/api/me/`;
  const bare = server.kind.endsWith("-bare");
  const get = (token: string) => fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const parallel = 10;
  await Promise.all(
    Array.from({ length: parallel }, async (_, lane) => {
      for (let i = lane; i < fixture.tokens.length; i += parallel) {
        const response = await get(fixture.tokens[i]!);
        const body = await response.text();
        const id = bare ? Number(BARE_USER_ID) : i + 1;
        const expected = JSON.stringify({ id: String(id), username: `user${id - 1}` });
        if (response.status !== 200 || body !== expected) {
          throw new Error(
            `${server.kind}: token ${i} answered ${response.status} ${body}, not 200 ${expected}`,
          );
        }
      }
    }),
  );
  if (!bare) {
    const stranger = new JWTService({
      algorithm: "HS256",
      signingKey: "another secret, 43 bytes long, not the one",
    });
    const forged = (await stranger.obtainPair({ id: "1" })).access;
    const response = await get(forged);
    await response.arrayBuffer();
    if (response.status !== 401)
      throw new Error(`${server.kind}: a forged token answered ${response.status}`);
  }
}

/** One timed load of one server. */
export interface LoadResult {
  /** 2xx responses per second. */
  requestsPerSecond: number;
  requests: number;
  /** The server process's CPU time per request, in µs. */
  serverMicrosPerRequest: number;
  /** The server's CPU time over the run, as a share of one core. */
  serverCore: number;
  /** This process's (autocannon's) CPU time over the run, as a share of one core. */
  loaderCore: number;
}

/** Loads `server` for `seconds` with the fixture's requests; rejects unless every response was a 2xx. */
export async function load(
  server: RunningServer,
  fixture: HttpFixture,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const serverBefore = await server.cpu();
  const loaderBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections,
    pipelining: 1,
    duration: seconds,
    requests: fixture.requests,
  });
  const wallMicros = (performance.now() - started) * 1000;
  const loader = process.cpuUsage(loaderBefore);
  const serverMicros = (await server.cpu()) - serverBefore;
  const ok = result["2xx"];
  if (result.non2xx !== 0 || result.errors !== 0 || result.timeouts !== 0 || ok === 0) {
    throw new Error(
      `${server.kind}: ${ok} 2xx, ${result.non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)}), ` +
        `${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    requestsPerSecond: ok / result.duration,
    requests: ok,
    serverMicrosPerRequest: serverMicros / ok,
    serverCore: serverMicros / wallMicros,
    loaderCore: (loader.user + loader.system) / wallMicros,
  };
}

/** Per contender: the per-round figures, in round order. */
export interface HttpRow {
  kind: ServerKind;
  name: string;
  /** 2xx responses per second. */
  summary: Summary;
  serverMicrosPerRequest: Summary;
  serverCore: Summary;
  loaderCore: Summary;
}

/**
 * Starts every server, checks it, warms each up, then records `options.rounds` rounds (round `r` starts
 * with contender `r mod n`), and stops the servers.
 */
export async function httpRounds(
  kinds: readonly ServerKind[],
  options: HttpOptions = HTTP_OPTIONS,
  log: (message: string) => void = () => {},
): Promise<Map<ServerKind, HttpRow>> {
  const fixture = await httpFixture();
  const results = new Map<ServerKind, LoadResult[]>(kinds.map((kind) => [kind, []]));
  const generations = Math.max(1, Math.min(options.generations, options.rounds));
  let round = 0;
  for (let generation = 0; generation < generations; generation++) {
    const until = Math.round((options.rounds * (generation + 1)) / generations);
    const servers = await startAll(kinds, fixture, options, (message) =>
      log(generations > 1 ? `processes ${generation + 1}/${generations}: ${message}` : message),
    );
    try {
      for (; round < until; round++) {
        const start = round % servers.length;
        for (const server of [...servers.slice(start), ...servers.slice(0, start)]) {
          results.get(server.kind)!.push(await load(server, fixture, options.seconds, options.connections));
        }
        log(`round ${round + 1}/${options.rounds} done`);
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }
  const rows = new Map<ServerKind, HttpRow>();
  for (const [kind, runs] of results) {
    const of = (pick: (r: LoadResult) => number) => summarize(runs.map(pick));
    rows.set(kind, {
      kind,
      name: HTTP_NAMES[kind],
      summary: of((r) => r.requestsPerSecond),
      serverMicrosPerRequest: of((r) => r.serverMicrosPerRequest),
      serverCore: of((r) => r.serverCore),
      loaderCore: of((r) => r.loaderCore),
    });
  }
  return rows;
}

/** Starts one server of each kind (together, each its own process), checks and warms each up. */
async function startAll(
  kinds: readonly ServerKind[],
  fixture: HttpFixture,
  options: HttpOptions,
  log: (message: string) => void,
): Promise<RunningServer[]> {
  const started = await Promise.allSettled(
    kinds.map((kind) => startServer(kind, fixture, options.cacheSize)),
  );
  const servers: RunningServer[] = [];
  for (const result of started) if (result.status === "fulfilled") servers.push(result.value);
  try {
    for (const result of started) if (result.status === "rejected") throw result.reason;
    log(`${servers.length} servers listening`);
    for (const server of servers) await checkServer(server, fixture);
    log(`servers checked (${HTTP_TOKENS} tokens each); warm-up ${options.warmupSeconds} s each`);
    for (const server of servers) await load(server, fixture, options.warmupSeconds, options.connections);
    return servers;
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
}

/** One line per server: its CPU time per request and the share of a core it and autocannon used (medians). */
export function cpuLines(rows: Iterable<HttpRow>): string[] {
  return [...rows].map(
    (row) =>
      `- ${row.name}: ${row.serverMicrosPerRequest.median.toFixed(1)} µs of server CPU per request; server ` +
      `${(row.serverCore.median * 100).toFixed(0)}%, autocannon ${(row.loaderCore.median * 100).toFixed(0)}% of a core`,
  );
}
