/**
 * A worker thread with its own better-sqlite3 connection to a shared database file: it waits at the
 * barrier, then sends `calls` hits on each key at once and posts how many of each were allowed.
 */
import { parentPort, workerData } from "node:worker_threads";
import { KyselyThrottleStore } from "../../../src/stores/kysely/index.js";
import { sqliteDb } from "./databases.js";

const { file, keys, calls, limit, now, barrier } = workerData as {
  file: string;
  keys: string[];
  calls: number;
  limit: number;
  now: number;
  barrier: SharedArrayBuffer;
};
const db = sqliteDb(file, { timeout: 10_000 });
const store = new KyselyThrottleStore({ db });
const flag = new Int32Array(barrier);
Atomics.add(flag, 1, 1); // ready
Atomics.wait(flag, 0, 0); // until the main thread opens the barrier
const allowed: number[] = [];
for (const key of keys) {
  const states = await Promise.all(Array.from({ length: calls }, () => store.hit(key, limit, 60_000, now)));
  allowed.push(states.filter((state) => state.allowed).length);
}
await db.destroy();
parentPort?.postMessage(allowed);
