/**
 * A worker thread with its own better-sqlite3 connection to a shared database file: it waits at the
 * barrier, then runs `migrateToLatest` and posts how many migrations it ran, or the error it got.
 */
import { parentPort, workerData } from "node:worker_threads";
import { migrateToLatest } from "../../../src/stores/kysely/index.js";
import { preparedSqliteDb } from "./databases.js";

const { file, barrier } = workerData as { file: string; barrier: SharedArrayBuffer };
const db = preparedSqliteDb(file, { timeout: 10_000 });
const flag = new Int32Array(barrier);
Atomics.add(flag, 1, 1); // ready
Atomics.wait(flag, 0, 0); // until the main thread opens the barrier
let answer: string;
try {
  answer = `ran ${(await migrateToLatest(db)).length}`;
} catch (error) {
  answer = `error ${(error as Error).message}`;
}
await db.destroy();
parentPort?.postMessage(answer);
