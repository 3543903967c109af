/**
 * Interleaved rounds, as bench/interleave.ts runs them, with warm-up and calibration bounded by time
 * rather than by call count. `interleavedRounds` warms up in chunks of 1,000 calls and calibrates on
 * 5,000: right for operations of a microsecond, ~20 s per contender for an RSA signature (obtainPair
 * signs two). Here a contender of any speed costs about `warmupMs + calibrateMs` before the rounds, and
 * a batch may be as small as a few calls.
 */
import type { Contender, RoundOptions } from "./interleave.js";
import { type Summary, summarize } from "./stats.js";

/** Options of {@link timedRounds}. */
export interface TimedRoundOptions extends RoundOptions {
  /** Wall time spent calibrating each contender's batch size, in ms. */
  calibrateMs?: number;
  /** The smallest batch, in calls. */
  minCalls?: number;
}

/** Awaits `run` `calls` times, one at a time, and returns the mean ns per call. */
async function timeBatch(run: () => Promise<unknown>, calls: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < calls; i++) await run();
  return ((performance.now() - started) * 1e6) / calls;
}

/** Calls `run` until `ms` have passed (at least once); returns the mean ns per call. */
async function timeFor(run: () => Promise<unknown>, ms: number): Promise<number> {
  const started = performance.now();
  const ends = started + ms;
  let calls = 0;
  do {
    await run();
    calls++;
  } while (performance.now() < ends);
  return ((performance.now() - started) * 1e6) / calls;
}

/**
 * Warms every contender up round-robin (chunks of about `batchMs`), sizes each one's batch to
 * `batchMs`, then records `rounds` rounds; round `r` starts with contender `r mod n`.
 *
 * @returns per contender name, the summary of its per-round ns/op, in round order
 */
export async function timedRounds(
  contenders: readonly Contender[],
  options: TimedRoundOptions,
): Promise<Map<string, Summary>> {
  const { rounds, batchMs, warmupMs, calibrateMs = 100, minCalls = 3 } = options;
  const warmupEnds = performance.now() + warmupMs * contenders.length;
  while (performance.now() < warmupEnds) {
    for (const contender of contenders) await timeFor(contender.run, batchMs);
  }
  const calls = new Map<string, number>();
  for (const contender of contenders) {
    const ns = await timeFor(contender.run, calibrateMs);
    calls.set(contender.name, Math.max(minCalls, Math.round((batchMs * 1e6) / ns)));
  }
  const perRound = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    const start = round % contenders.length;
    for (const contender of [...contenders.slice(start), ...contenders.slice(0, start)]) {
      perRound.get(contender.name)!.push(await timeBatch(contender.run, calls.get(contender.name)!));
    }
  }
  return new Map([...perRound].map(([name, values]) => [name, summarize(values)]));
}
