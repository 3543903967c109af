/**
 * The Redis stores' start-up check of persistence and eviction (issue 17 item 23), against a redis-server
 * of the test's own, started without persistence (`--appendonly no --save ''`) on a free port.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis, type RedisOptions } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type AuthEventMap, AuthEvents, StoreUnavailable } from "../../../src/index.js";
import {
  checkRedisDurability,
  type RedisClient,
  RedisRevocationStore,
  RedisSessionStore,
  RedisTokenStore,
} from "../../../src/stores/redis/index.js";
import { FAIL_FAST } from "./service.js";

const binary = which("redis-server");
// Under CI=true the suite runs (and fails without the binary); elsewhere it says why it skips.
const skip = binary === null && process.env.CI !== "true";
if (skip) console.warn("Redis durability tests skipped: no redis-server on PATH (under CI=true they fail).");

const NO_AOF =
  "Redis runs with appendonly no: a restart loses the writes since the last snapshot (or all of them), and logged-out, revoked and rotated tokens are accepted again. Set appendonly yes (AOF).";
const EVICTING =
  "Redis runs with maxmemory-policy allkeys-lru: under memory pressure it evicts keys, and an evicted revocation lets its token back in. Set maxmemory-policy noeviction.";
const unchecked = (reason: string) =>
  `The Redis stores could not check the server's persistence and eviction settings (${reason}). Make sure it runs with appendonly yes and maxmemory-policy noeviction, or revoked tokens can come back after a restart or an eviction.`;

function which(name: string): string | null {
  try {
    return execFileSync("which", [name], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(skip)("Redis stores check persistence and eviction at start-up", () => {
  let server: ChildProcess;
  let port: number;
  let dir: string;
  let admin: Redis;
  const clients: Redis[] = [];

  /** A client on the test's server; the stores' recommended options unless `options` says otherwise. */
  async function client(options: RedisOptions = {}): Promise<Redis> {
    const made = new Redis({ ...FAIL_FAST, port, host: "127.0.0.1", ...options });
    made.on("error", () => {});
    clients.push(made);
    if (made.status === "wait" && options.lazyConnect !== true) await made.connect();
    return made;
  }

  /** The warnings `events` receives while `body` runs and the check it started finishes. */
  async function warnings(redis: Redis, body: (events: AuthEvents) => void): Promise<string[]> {
    const events = new AuthEvents();
    const seen: AuthEventMap["storeWarning"][] = [];
    events.on("storeWarning", (payload) => seen.push(payload));
    body(events);
    // A ready client's check starts in a microtask: let it send its first CONFIG GET, so that each of the
    // stores' commands goes out on this connection before the matching one of ours, and is answered first.
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    await checkRedisDurability(redis);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.every((payload) => payload.store === "redis")).toBe(true);
    return seen.map((payload) => payload.message);
  }

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), "portcullis-redis-"));
    server = spawn(
      binary ?? "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--appendonly", "no", "--save", "", "--dir", dir],
      { stdio: "ignore" },
    );
    for (let attempt = 0; ; attempt++) {
      const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
      probe.on("error", () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        break;
      } catch (error) {
        probe.disconnect();
        if (attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    admin = await client();
  });
  afterEach(async () => {
    await admin.config("SET", "maxmemory-policy", "noeviction");
    await admin.config("SET", "maxmemory", "0");
    await admin.config("SET", "appendonly", "no");
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    for (const made of clients) made.disconnect();
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the server as started: no AOF, noeviction", async () => {
    expect(await checkRedisDurability(await client())).toEqual({
      appendonly: "no",
      maxmemoryPolicy: "noeviction",
      warnings: [NO_AOF],
    });
  });

  it("warns once per client through events, whichever stores share it", async () => {
    const redis = await client();
    const seen = await warnings(redis, (events) => {
      new RedisTokenStore({ client: redis, events });
      new RedisRevocationStore({ client: redis, events, prefix: "other:" });
      new RedisSessionStore({ client: redis, events });
    });
    expect(seen).toEqual([NO_AOF]);
    // A store built later on the same client does not check again.
    expect(await warnings(redis, (events) => new RedisTokenStore({ client: redis, events }))).toEqual([]);
  });

  it("warns of an evicting maxmemory-policy too", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    const redis = await client();
    expect(await warnings(redis, (events) => new RedisRevocationStore({ client: redis, events }))).toEqual([
      NO_AOF,
      EVICTING,
    ]);
  });

  it("says nothing when appendonly is yes and nothing is evicted", async () => {
    await admin.config("SET", "appendonly", "yes");
    const redis = await client();
    const log = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(await warnings(redis, (events) => new RedisTokenStore({ client: redis, events }))).toEqual([]);
    expect((await checkRedisDurability(redis)).warnings).toEqual([]);
    expect(log).not.toHaveBeenCalled();
  });

  it("logs with console.warn when no events are given", async () => {
    const log = vi.spyOn(console, "warn").mockImplementation(() => {});
    const redis = await client();
    new RedisTokenStore({ client: redis });
    new RedisRevocationStore({ client: redis });
    // The check runs on its own: wait for its warning, then make sure no second one follows.
    await vi.waitFor(() => expect(log).toHaveBeenCalled(), { timeout: 5_000 });
    await checkRedisDurability(redis);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log.mock.calls).toEqual([[`portcullis: ${NO_AOF}`]]);
  });

  it("tolerates CONFIG being refused (managed Redis): one note, and the stores work", async () => {
    await admin.call("ACL", "SETUSER", "managed", "on", "nopass", "~*", "+@all", "-config");
    const redis = await client({ username: "managed", password: "x" });
    const events = new AuthEvents();
    const seen: string[] = [];
    events.on("storeWarning", ({ message }) => seen.push(message));
    new RedisTokenStore({ client: redis, events });
    new RedisTokenStore({ client: redis, events, prefix: "again:" });
    // The check waits for the client's 'ready' (AUTH as "managed" first): wait for its note.
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 5_000 });
    await checkRedisDurability(redis).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toHaveLength(1); // once per client
    expect(seen[0]).toMatch(/^The Redis stores could not check .*\(CONFIG GET was refused: NOPERM/);
    const store = new RedisTokenStore({ client: redis, prefix: "managed:" });
    const record = {
      digest: "d1",
      userId: "1",
      name: null,
      createdAt: new Date(),
      expiresAt: null,
      lastUsedAt: null,
    };
    await store.save(record);
    expect(await store.findByDigest("d1")).toEqual(record);
  });

  it("tolerates a client without a config command", async () => {
    const redis = await client();
    const bare: RedisClient = {
      hgetall: (key) => redis.hgetall(key),
      hget: (key, field) => redis.hget(key, field),
      evalsha: (sha, n, ...args) => redis.evalsha(sha, n, ...args),
      eval: (script, n, ...args) => redis.eval(script, n, ...args),
    };
    const events = new AuthEvents();
    const seen: string[] = [];
    events.on("storeWarning", ({ message }) => seen.push(message));
    new RedisTokenStore({ client: bare, events });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([unchecked("the client has no config command")]);
  });

  it("never connects a lazy client itself: it checks once the app has connected it", async () => {
    const redis = await client({ lazyConnect: true });
    const events = new AuthEvents();
    const seen: string[] = [];
    events.on("storeWarning", ({ message }) => seen.push(message));
    new RedisTokenStore({ client: redis, events });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(redis.status).toBe("wait");
    expect(seen).toEqual([]);
    await redis.connect(); // would reject "Redis is already connecting/connected" had the check connected it
    await vi.waitFor(() => expect(seen).toEqual([NO_AOF]), { timeout: 5_000 });
  });

  it("a full Redis under noeviction refuses writes: StoreUnavailable (503), not a 500", async () => {
    const redis = await client();
    const store = new RedisTokenStore({ client: redis, prefix: "full:", events: new AuthEvents() });
    await admin.config("SET", "maxmemory", "1");
    const record = {
      digest: "d2",
      userId: "1",
      name: null,
      createdAt: new Date(),
      expiresAt: null,
      lastUsedAt: null,
    };
    const error = await store.save(record).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect(String((error as StoreUnavailable).cause)).toMatch(/OOM command not allowed/);
  });
});
