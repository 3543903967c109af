/**
 * A ThrottleStore in one process's memory: for tests, demos and single-process apps.
 */
import type { ThrottleState, ThrottleStore } from "./types.js";

interface Log {
  /** Entry times, oldest first. */
  times: number[];
  /** When the newest entry leaves its window: the key can be dropped after that. */
  until: number;
}

/** Keys past their window are swept once the map holds this many, so idle clients cost nothing. */
const SWEEP_AT = 10_000;

/**
 * The in-memory {@link ThrottleStore}: a log of times per key. Every call runs to completion before
 * another starts (one event loop), which makes each hit atomic. Counts are per process: several
 * instances behind a load balancer need the Redis or Kysely store.
 *
 * @example
 * ```ts
 * const throttles = new MemoryThrottleStore();
 * const anon = new AnonRateThrottle({ rate: "100/day", store: throttles });
 * ```
 */
export class MemoryThrottleStore implements ThrottleStore {
  readonly #logs = new Map<string, Log>();
  #sweepAt = SWEEP_AT;

  /** {@inheritDoc ThrottleStore.hit} */
  async hit(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState> {
    const log = this.#read(key, windowMs, now);
    const allowed = log.times.length < limit;
    if (allowed) {
      // Kept in order even when the clock stepped back, so the oldest entries leave first.
      let index = log.times.length;
      while (index > 0 && log.times[index - 1]! > now) index--;
      log.times.splice(index, 0, now);
      log.until = Math.max(log.until, now + windowMs);
      if (log.times.length === 1) this.#keep(key, log, now);
    }
    return state(log, allowed);
  }

  /** {@inheritDoc ThrottleStore.peek} */
  async peek(key: string, limit: number, windowMs: number, now: number): Promise<ThrottleState> {
    const log = this.#read(key, windowMs, now);
    return state(log, log.times.length < limit);
  }

  /** {@inheritDoc ThrottleStore.reset} */
  async reset(key: string): Promise<void> {
    this.#logs.delete(key);
  }

  #read(key: string, windowMs: number, now: number): Log {
    const log = this.#logs.get(key) ?? { times: [], until: 0 };
    let expired = 0;
    while (expired < log.times.length && log.times[expired]! <= now - windowMs) expired++;
    if (expired > 0) log.times.splice(0, expired);
    return log;
  }

  #keep(key: string, log: Log, now: number): void {
    this.#logs.set(key, log);
    if (this.#logs.size < this.#sweepAt) return;
    for (const [name, entry] of this.#logs) if (entry.until <= now) this.#logs.delete(name);
    this.#sweepAt = Math.max(SWEEP_AT, this.#logs.size * 2);
  }
}

function state(log: Log, allowed: boolean): ThrottleState {
  return { allowed, count: log.times.length, oldest: log.times[0] ?? null };
}
