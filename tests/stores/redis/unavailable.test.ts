import { once } from "node:events";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { Redis, ReplyError } from "ioredis";
import { MaxRetriesPerRequestError } from "ioredis/built/errors/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailable } from "../../../src/index.js";
import {
  isConnectionError,
  type RedisClient,
  RedisRevocationStore,
  RedisSessionStore,
  RedisThrottleStore,
  RedisTokenStore,
} from "../../../src/stores/redis/index.js";
import { connect, deleteKeys, FAIL_FAST, freshPrefix, REDIS_URL, skipRedis } from "./service.js";

const HOUR = 3_600_000;
const soon = () => new Date(Date.now() + HOUR);

/** One call of every method of the four stores, by name. */
function everyMethod(
  client: RedisClient,
  prefix = "unavailable:",
): [string, string, () => Promise<unknown>][] {
  const tokens = new RedisTokenStore({ client, prefix });
  const sessions = new RedisSessionStore({ client, prefix });
  const revocations = new RedisRevocationStore({ client, prefix });
  const throttles = new RedisThrottleStore({ client, prefix });
  const token = {
    digest: "d",
    userId: "1",
    name: null,
    createdAt: new Date(),
    expiresAt: null,
    lastUsedAt: null,
  };
  const session = {
    idDigest: "s",
    userId: "1",
    createdAt: new Date(),
    expiresAt: soon(),
    absoluteExpiresAt: soon(),
    data: {},
  };
  return [
    ["tokens", "save", () => tokens.save(token)],
    ["tokens", "findByDigest", () => tokens.findByDigest("d")],
    ["tokens", "delete", () => tokens.delete("d")],
    ["tokens", "deleteForUser", () => tokens.deleteForUser("1")],
    ["tokens", "listForUser", () => tokens.listForUser("1")],
    ["tokens", "touch", () => tokens.touch("d", { lastUsedAt: new Date() })],
    ["sessions", "create", () => sessions.create(session)],
    ["sessions", "get", () => sessions.get("s")],
    ["sessions", "touch", () => sessions.touch("s", soon())],
    ["sessions", "delete", () => sessions.delete("s")],
    ["sessions", "deleteForUser", () => sessions.deleteForUser("1")],
    [
      "revocations",
      "recordOutstanding",
      () => revocations.recordOutstanding({ jti: "j", userId: "1", familyId: "f", expiresAt: soon() }),
    ],
    ["revocations", "isRevoked", () => revocations.isRevoked("j")],
    ["revocations", "revoke", () => revocations.revoke("j", soon())],
    ["revocations", "consume", () => revocations.consume("j", soon())],
    ["revocations", "consumedAt", () => revocations.consumedAt("j")],
    ["revocations", "revokeFamily", () => revocations.revokeFamily("f")],
    ["revocations", "revokeForUser", () => revocations.revokeForUser("1")],
    ["revocations", "flushExpired", () => revocations.flushExpired()],
    ["throttles", "hit", () => throttles.hit("k", 5, 60_000, Date.now())],
    ["throttles", "peek", () => throttles.peek("k", 5, 60_000, Date.now())],
    ["throttles", "reset", () => throttles.reset("k")],
  ];
}

/** Awaits a rejection and answers the error. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

/** A client whose every command rejects with `error`. */
function failingClient(error: unknown): RedisClient {
  const fail = () => Promise.reject(error);
  return { hgetall: fail, hget: fail, evalsha: fail, eval: fail };
}

describe("which client errors mean 'Redis could not be asked'", () => {
  const connectionErrors: [string, unknown][] = [
    ["ECONNREFUSED", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })],
    ["ECONNRESET", Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })],
    ["ETIMEDOUT", Object.assign(new Error("connect ETIMEDOUT"), { code: "ETIMEDOUT" })],
    ["connect ETIMEDOUT without a code (ioredis's connectTimeout)", new Error("connect ETIMEDOUT")],
    ["a closed connection", new Error("Connection is closed.")],
    ["the offline queue off", new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ["a cluster not ready", new Error("Cluster isn't ready and enableOfflineQueue options is false")],
    ["MaxRetriesPerRequestError", new MaxRetriesPerRequestError(1)],
    ["a command timeout", new Error("Command timed out")],
    ["LOADING", new ReplyError("LOADING Redis is loading the dataset in memory")],
    ["READONLY after a failover", new ReplyError("READONLY You can't write against a read only replica.")],
    ["CLUSTERDOWN", new ReplyError("CLUSTERDOWN The cluster is down")],
    ["a cause chain", new Error("wrapped", { cause: new Error("Connection is closed.") })],
  ];
  const otherErrors: [string, unknown][] = [
    ["WRONGTYPE", new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")],
    ["a script error", new ReplyError("ERR user_script:1: Script attempted to access nonexistent global")],
    ["a bug", new TypeError("x is not a function")],
    ["a string", "Connection is closed."],
  ];

  it.each(connectionErrors)("%s → StoreUnavailable, for every method, cause kept", async (_, error) => {
    expect(isConnectionError(error)).toBe(true);
    for (const [store, method, call] of everyMethod(failingClient(error))) {
      const thrown = await rejection(call());
      expect(thrown, `${store}.${method}`).toBeInstanceOf(StoreUnavailable);
      expect((thrown as StoreUnavailable).store).toBe(store);
      expect((thrown as StoreUnavailable).cause).toBe(error);
    }
  });

  it.each(otherErrors)("%s → rethrown unchanged, for every method", async (_, error) => {
    expect(isConnectionError(error)).toBe(false);
    for (const [store, method, call] of everyMethod(failingClient(error))) {
      expect(await rejection(call()), `${store}.${method}`).toBe(error);
    }
  });
});

describe.skipIf(skipRedis)("when Redis cannot be reached", () => {
  it("every method of every store throws StoreUnavailable at once for a client to a closed port", async () => {
    const port = await closedPort();
    const client = new Redis({ host: "127.0.0.1", port, ...FAIL_FAST, retryStrategy: () => 50 });
    client.on("error", () => {});
    try {
      for (const [store, method, call] of everyMethod(client)) {
        const started = performance.now();
        const thrown = await rejection(call());
        expect(thrown, `${store}.${method}`).toBeInstanceOf(StoreUnavailable);
        expect((thrown as StoreUnavailable).store).toBe(store);
        expect((thrown as StoreUnavailable).cause).toBeInstanceOf(Error);
        expect(performance.now() - started).toBeLessThan(500);
      }
    } finally {
      client.disconnect();
    }
  });

  it("a WRONGTYPE reply is an error, not StoreUnavailable", async () => {
    const client = await connect();
    const prefix = freshPrefix();
    try {
      await client.set(`${prefix}token:d`, "not a hash");
      const thrown = await rejection(new RedisTokenStore({ client, prefix }).findByDigest("d"));
      expect(thrown).toBeInstanceOf(ReplyError);
      expect((thrown as Error).message).toMatch(/^WRONGTYPE/);
    } finally {
      await deleteKeys(client, prefix);
      await client.quit();
    }
  });

  describe("through a TCP proxy that the test closes and reopens", () => {
    const upstream = new URL(REDIS_URL);
    let proxy: TcpProxy;
    let client: Redis;
    const prefix = freshPrefix();
    beforeAll(async () => {
      proxy = new TcpProxy(upstream.hostname, Number(upstream.port || 6379));
      await proxy.open(0);
      const through = new URL(REDIS_URL); // the same credentials and database, through the proxy
      through.hostname = "127.0.0.1";
      through.port = String(proxy.port);
      client = await connect({ retryStrategy: () => 20 }, through.href);
    });
    afterAll(async () => {
      client?.disconnect();
      await proxy?.close();
      const cleaner = await connect();
      await deleteKeys(cleaner, prefix);
      await cleaner.quit();
    });

    it("fails closed while the connection is cut, and recovers by itself when it is back", async () => {
      const revocations = new RedisRevocationStore({ client, prefix });
      const sessions = new RedisSessionStore({ client, prefix });
      const throttles = new RedisThrottleStore({ client, prefix });
      await revocations.revoke("revoked", soon());
      expect(await throttles.hit("k", 1, HOUR, Date.now())).toMatchObject({ allowed: true });
      expect(await revocations.isRevoked("revoked")).toBe(true);

      const closed = once(client, "close");
      await proxy.close();
      await closed;
      for (const call of [
        () => revocations.isRevoked("revoked"),
        () => revocations.consume("other", soon()),
        () => sessions.get("s"),
        () => throttles.hit("k", 1, HOUR, Date.now()), // never "allowed" for "could not ask"
      ]) {
        const thrown = await rejection(call());
        expect(thrown).toBeInstanceOf(StoreUnavailable);
      }

      const ready = once(client, "ready");
      await proxy.open(proxy.port);
      await ready;
      expect(await revocations.isRevoked("revoked")).toBe(true);
      expect(await revocations.consume("other", soon())).toBe(true);
      expect(await sessions.get("s")).toBeNull();
      expect(await throttles.hit("k", 1, HOUR, Date.now())).toMatchObject({ allowed: false, count: 1 });
    });
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/** A TCP proxy to Redis; `close` also cuts the connections it carries. */
class TcpProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(
    readonly host: string,
    readonly target: number,
  ) {}

  async open(port: number): Promise<void> {
    const server = createServer((downstream) => {
      const upstream = tcpConnect(this.target, this.host);
      for (const socket of [downstream, upstream]) {
        this.#sockets.add(socket);
        socket.on("close", () => this.#sockets.delete(socket));
        socket.on("error", () => {});
      }
      downstream.pipe(upstream).pipe(downstream);
    });
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const closed = once(server, "close");
    server.close();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
