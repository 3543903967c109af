/**
 * pbkdf2_sha256 at 600,000 iterations: portcullis `hashPassword` (crypto.subtle.deriveBits) against
 * node:crypto.pbkdf2 on the same password, salt and count, and the event-loop delay while one runs.
 */
import { pbkdf2 } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { hashPassword } from "../src/index.js";
import { PASSWORD } from "./auth.js";
import type { Contender } from "./interleave.js";
import { type Summary, summarize } from "./stats.js";

export const ITERATIONS = 600_000;
/** A fixed 22-character salt, so both sides derive the same key. */
export const SALT = "QwErTy0123456789aBcDeF";
/** The idle baseline's sleep, in ms. */
export const IDLE_MS = 250;

const pbkdf2Async = promisify(pbkdf2);

/** portcullis `hashPassword(password, { iterations: 600_000 })`, with the fixed salt. */
export const portcullisHash: Contender = {
  name: "portcullis hashPassword (crypto.subtle)",
  run: () => hashPassword(PASSWORD, { iterations: ITERATIONS, salt: SALT }),
};

/** `node:crypto.pbkdf2` (async, libuv threadpool), 32-byte SHA-256 output. */
export const nodeHash: Contender = {
  name: "node:crypto.pbkdf2 (async)",
  run: () => pbkdf2Async(PASSWORD, SALT, ITERATIONS, 32, "sha256"),
};

/** Throws unless both sides derive the same key: the comparison is like for like. */
export async function checkSameHash(): Promise<void> {
  const encoded = await hashPassword(PASSWORD, { iterations: ITERATIONS, salt: SALT });
  const expected = `pbkdf2_sha256$${ITERATIONS}$${SALT}$${(await pbkdf2Async(PASSWORD, SALT, ITERATIONS, 32, "sha256")).toString("base64")}`;
  if (encoded !== expected) throw new Error(`hashPassword gave ${encoded}, node:crypto gave ${expected}`);
}

/** The event-loop delay observed during one task, per repeat. */
export interface LoopDelay {
  /** Largest delay of a 1 ms timer, ms. */
  max: Summary;
  /** 99th percentile of the timer's delays, ms. */
  p99: Summary;
  /** Wall time of the task, ms. */
  wall: Summary;
}

/** Sleeping {@link IDLE_MS} ms: what the monitor reports when nothing runs. */
export const idle: Contender = {
  name: `idle baseline (sleep ${IDLE_MS} ms, no hash)`,
  run: () => sleep(IDLE_MS),
};

/**
 * Runs each task `repeats` times, interleaved, with `monitorEventLoopDelay({ resolution: 1 })` enabled
 * around each call alone. The histogram counts whole timer intervals, so even an idle loop reports ~1 ms.
 */
export async function measureLoopDelay(
  tasks: readonly Contender[],
  repeats: number,
): Promise<Map<string, LoopDelay>> {
  const samples = new Map(
    tasks.map((t) => [t.name, { max: [] as number[], p99: [] as number[], wall: [] as number[] }]),
  );
  for (let repeat = 0; repeat < repeats; repeat++) {
    const order = repeat % 2 === 0 ? tasks : [...tasks].reverse();
    for (const task of order) {
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      const started = performance.now();
      await task.run();
      const wall = performance.now() - started;
      histogram.disable();
      const s = samples.get(task.name)!;
      s.max.push(histogram.max / 1e6);
      s.p99.push(histogram.percentile(99) / 1e6);
      s.wall.push(wall);
    }
  }
  return new Map(
    [...samples].map(([name, s]) => [
      name,
      { max: summarize(s.max), p99: summarize(s.p99), wall: summarize(s.wall) },
    ]),
  );
}
