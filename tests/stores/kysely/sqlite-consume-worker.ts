/**
 * A worker thread with its own better-sqlite3 connection to a shared database file: it waits at the
 * barrier, then calls `consume` on one jti `calls` times at once and posts how many it won.
 */
import { parentPort, workerData } from "node:worker_threads";
import { KyselyRevocationStore } from "../../../src/stores/kysely/index.js";
import { sqliteDb } from "./databases.js";

const { file, jtis, calls, barrier } = workerData as {
  file: string;
  jtis: string[];
  calls: number;
  barrier: SharedArrayBuffer;
};
const db = sqliteDb(file, { timeout: 10_000 });
const store = new KyselyRevocationStore({ db });
const flag = new Int32Array(barrier);
Atomics.add(flag, 1, 1); // ready
Atomics.wait(flag, 0, 0); // until the main thread opens the barrier
const expiresAt = new Date(Date.now() + 3_600_000);
const won: number[] = [];
for (const jti of jtis) {
  const results = await Promise.all(Array.from({ length: calls }, () => store.consume(jti, expiresAt)));
  won.push(results.filter((result) => result).length);
}
await db.destroy();
parentPort?.postMessage(won);
