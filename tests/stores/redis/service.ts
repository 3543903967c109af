/**
 * The Redis the store tests run against: PORTCULLIS_REDIS_URL (default redis://127.0.0.1:6379). Under
 * CI=true the suites run and fail when it cannot be reached; elsewhere they skip with a one-line reason.
 */
import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import type { StoreFixture } from "../../../src/testing/index.js";

export const REDIS_URL: string = process.env.PORTCULLIS_REDIS_URL ?? "redis://127.0.0.1:6379";

/** The client options the docs recommend: commands fail at once while Redis is down. */
export const FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 5_000,
  lazyConnect: true,
} satisfies RedisOptions;

const unreachable = await probe();

/** True when the Redis suites skip: Redis cannot be reached and this is not CI. */
export const skipRedis: boolean = unreachable !== null && process.env.CI !== "true";
if (skipRedis) {
  console.warn(
    `Redis store tests skipped: ${REDIS_URL} unreachable (${unreachable}); under CI=true they fail.`,
  );
}

async function probe(): Promise<string | null> {
  const client = new Redis(REDIS_URL, { ...FAIL_FAST, connectTimeout: 2_000, retryStrategy: () => null });
  let cause: unknown; // the socket's error (ECONNREFUSED, …); the rejection only says "Connection is closed."
  client.on("error", (error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    const reason = cause ?? error;
    return reason instanceof Error ? reason.message : String(reason);
  } finally {
    client.disconnect();
  }
}

/** A connected client with the recommended options (or `options` on top of them). */
export async function connect(options: RedisOptions = {}, url: string = REDIS_URL): Promise<Redis> {
  const client = new Redis(url, { ...FAIL_FAST, ...options });
  client.on("error", () => {}); // every failure reaches the caller as a rejected command
  await client.connect();
  return client;
}

/** A key prefix of its own for one test, with a hash tag as Redis Cluster would need. */
export function freshPrefix(): string {
  return `{portcullis-test:${randomUUID()}}:`;
}

/** A store on a fresh prefix whose keys are deleted after the test. */
export function fixture<Store>(client: Redis, make: (prefix: string) => Store): StoreFixture<Store> {
  const prefix = freshPrefix();
  return { store: make(prefix), cleanup: () => deleteKeys(client, prefix).then(() => undefined) };
}

/** Every key under `prefix` (SCAN), so tests can look at the layout. */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", `${escapeGlob(prefix)}*`, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys.sort();
}

/** Deletes every key under `prefix` (SCAN + DEL); answers how many. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  const keys = await keysUnder(client, prefix);
  return keys.length === 0 ? 0 : client.del(...keys);
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
