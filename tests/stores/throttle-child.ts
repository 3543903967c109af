/**
 * One app instance hitting one throttle key, as a process of its own: run by throttle-children.ts as
 * `node --import tsx throttle-child.ts` with the environment of `ChildEnv`. It connects, prints "ready",
 * waits for a line on stdin (so every process starts at once), sends THROTTLE_CALLS hits in parallel,
 * prints how many were allowed and exits.
 */
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { KyselyThrottleStore } from "../../src/stores/kysely/index.js";
import { RedisThrottleStore } from "../../src/stores/redis/index.js";
import type { ThrottleStore } from "../../src/stores/types.js";

const env = process.env as Record<string, string>;
const calls = Number(env.THROTTLE_CALLS);
const limit = Number(env.THROTTLE_LIMIT);
let store: ThrottleStore;
let close: () => Promise<unknown>;

if (env.THROTTLE_STORE === "redis") {
  const client = new Redis(env.THROTTLE_URL!, { enableOfflineQueue: false, lazyConnect: true });
  await client.connect();
  store = new RedisThrottleStore({ client, prefix: env.THROTTLE_PREFIX });
  close = () => client.quit();
} else {
  const pool = new pg.Pool({
    connectionString: env.THROTTLE_URL,
    options: `-c search_path=${env.THROTTLE_SCHEMA}`,
    max: calls,
  });
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  // Open the connections before the start, so the hits do not queue behind connecting.
  const clients = await Promise.all(Array.from({ length: calls }, () => pool.connect()));
  for (const client of clients) client.release();
  store = new KyselyThrottleStore({ db });
  close = () => db.destroy();
}

const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
await new Promise((resolve) => lines.once("line", resolve));
const now = Date.now();
const states = await Promise.all(
  Array.from({ length: calls }, () => store.hit(env.THROTTLE_KEY!, limit, 60_000, now)),
);
process.stdout.write(`${JSON.stringify({ allowed: states.filter((state) => state.allowed).length })}\n`);
lines.close();
await close();
