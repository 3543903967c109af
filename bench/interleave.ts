/**
 * Interleaved rounds: every contender is measured once per round and the order rotates from round
 * to round, so a noisy neighbour or a CPU-frequency change hits every contender alike, and the
 * ratio can be taken within each round.
 *
 * The timing loop is our own, one awaited call at a time, compiled once and shared by every
 * contender (a call site that sees several functions, as a framework's is). mitata's `measure`
 * compiles a fresh loop per measurement; on this machine that made passport-http flip between
 * ~1 µs and ~2-3 µs per call from one process to the next, and without `--expose-gc` it allocates
 * 1 GiB before every measurement to force a collection.
 */
import { type Summary, summarize } from "./stats.js";

/** One thing to measure: an async operation, awaited to completion on every call. */
export interface Contender {
  name: string;
  run: () => Promise<unknown>;
}

/** Options of {@link interleavedRounds}. */
export interface RoundOptions {
  /** Rounds to record. */
  rounds: number;
  /** Wall time of one contender's batch in a round, in ms; the call count is calibrated to it. */
  batchMs: number;
  /** Warm-up time per contender before calibrating, in ms, spent in round-robin chunks. */
  warmupMs: number;
}

/** Awaits `run` `calls` times, one at a time, and returns the mean ns per call. */
async function timeBatch(run: () => Promise<unknown>, calls: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < calls; i++) await run();
  return ((performance.now() - started) * 1e6) / calls;
}

/**
 * Warms every contender up (round-robin, so shared code sees every caller before it is optimised),
 * sizes each one's batch to `batchMs`, then records `rounds` rounds; round `r` starts with
 * contender `r mod n`.
 *
 * @returns per contender name, the summary of its per-round ns/op, in round order
 */
export async function interleavedRounds(
  contenders: readonly Contender[],
  options: RoundOptions,
): Promise<Map<string, Summary>> {
  const warmupEnds = performance.now() + options.warmupMs * contenders.length;
  while (performance.now() < warmupEnds) {
    for (const contender of contenders) await timeBatch(contender.run, 1_000);
  }
  const calls = new Map<string, number>();
  for (const contender of contenders) {
    const ns = await timeBatch(contender.run, 5_000);
    calls.set(contender.name, Math.max(100, Math.round((options.batchMs * 1e6) / ns)));
  }
  const perRound = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    const start = round % contenders.length;
    for (const contender of [...contenders.slice(start), ...contenders.slice(0, start)]) {
      perRound.get(contender.name)!.push(await timeBatch(contender.run, calls.get(contender.name)!));
    }
  }
  return new Map([...perRound].map(([name, values]) => [name, summarize(values)]));
}

/**
 * Times `tasks` one call at a time in `rounds` rounds, alternating which goes first, after one
 * untimed warm-up call of each. For slow operations (a password hash), where one call is one sample.
 *
 * @returns per task, the summary of the per-round wall times in ms, in round order
 */
export async function interleavedCalls(
  tasks: readonly Contender[],
  rounds: number,
): Promise<Map<string, Summary>> {
  for (const task of tasks) await task.run();
  const perRound = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? tasks : [...tasks].reverse();
    for (const task of order) {
      const started = performance.now();
      await task.run();
      perRound.get(task.name)!.push(performance.now() - started);
    }
  }
  return new Map([...perRound].map(([name, values]) => [name, summarize(values)]));
}
