/**
 * What every store conformance suite shares: the runner-agnostic test API, the factory and options
 * types, and the per-test setup (a fresh store, its cleanup, a clock).
 */

/**
 * The matchers the suites use: only those vitest, jest and bun test all have.
 *
 * @example
 * ```ts
 * const assertion: ConformanceAssertion = expect(await store.findByDigest("unknown"));
 * assertion.toBeNull();
 * ```
 */
export interface ConformanceAssertion {
  /** `Object.is` equality. */
  toBe(expected: unknown): unknown;
  /** Recursive equality. */
  toEqual(expected: unknown): unknown;
  /** `=== null`. */
  toBeNull(): unknown;
  /** `>`. */
  toBeGreaterThan(expected: number): unknown;
  /** `>=`. */
  toBeGreaterThanOrEqual(expected: number): unknown;
  /** `<`. */
  toBeLessThan(expected: number): unknown;
  /** `<=`. */
  toBeLessThanOrEqual(expected: number): unknown;
  /** `.length === expected`. */
  toHaveLength(expected: number): unknown;
  /** `instanceof`. */
  toBeInstanceOf(expected: abstract new (...args: never[]) => unknown): unknown;
  /** The rejection of a promise: `await expect(promise).rejects.toThrow()`. */
  readonly rejects: {
    /** Resolves when the promise rejected, rejects when it resolved. */
    toThrow(): PromiseLike<unknown>;
  };
}

/**
 * The caller's `expect`: vitest's, jest's, bun's, or an expect library under `node:test`.
 *
 * @example
 * ```ts
 * import { expect } from "vitest";
 * const e: ConformanceExpect = expect;
 * ```
 */
export type ConformanceExpect = (actual: unknown) => ConformanceAssertion;

/**
 * The caller's `describe`.
 *
 * @example
 * ```ts
 * import { describe } from "node:test";
 * const d: ConformanceDescribe = describe;
 * ```
 */
export type ConformanceDescribe = (name: string, fn: () => void) => unknown;

/**
 * The caller's `it` (or `test`); `timeout` is passed only when {@link ConformanceOptions.timeout} is set.
 *
 * @example
 * ```ts
 * import { it } from "vitest";
 * const i: ConformanceIt = it;
 * ```
 */
export type ConformanceIt = (name: string, fn: () => Promise<void> | void, timeout?: number) => unknown;

/**
 * The test runner's functions, as the suites take them: `{ describe, it, expect }`.
 *
 * @example
 * ```ts
 * import { describe, expect, it } from "vitest";
 * testTokenStore(() => new MemoryTokenStore(), { describe, it, expect });
 * ```
 */
export interface ConformanceTestAPI {
  /** Groups tests. */
  describe: ConformanceDescribe;
  /** Registers one test. */
  it: ConformanceIt;
  /** Makes assertions; a failed one throws. */
  expect: ConformanceExpect;
}

/**
 * A store plus what undoes it, for factories that create a schema, a table or a key prefix per test.
 *
 * @example
 * ```ts
 * const fixture: StoreFixture<TokenStore> = {
 *   store: new RedisTokenStore({ client, prefix }),
 *   cleanup: async () => { await deleteKeys(client, `${prefix}*`); },
 * };
 * ```
 */
export interface StoreFixture<Store> {
  /** A fresh, empty store. */
  store: Store;
  /** Runs after the test, passed or failed (drop the schema, delete the keys). */
  cleanup?: () => void | Promise<void>;
}

/**
 * Makes a fresh, empty store for one test: the store itself, or a {@link StoreFixture} when something
 * must be cleaned up afterwards. Called once per test, inside the test.
 *
 * @example
 * ```ts
 * const factory: StoreFactory<SessionStore> = () => new MemorySessionStore();
 * ```
 */
export type StoreFactory<Store> = () => Store | StoreFixture<Store> | Promise<Store | StoreFixture<Store>>;

/**
 * Options every conformance suite takes.
 *
 * @example
 * ```ts
 * testSessionStore(factory, { describe, it, expect }, { name: "RedisSessionStore", timeout: 10_000 });
 * ```
 */
export interface ConformanceOptions {
  /** The outer `describe` title (default: `"<Interface> conformance"`). */
  name?: string;
  /** A per-test timeout in milliseconds, passed to `it` as its third argument (default: the runner's). */
  timeout?: number;
  /**
   * The finest time the store keeps: `"ms"` (the default: milliseconds or finer, as PostgreSQL,
   * SQLite with numeric or ISO-8601 text, and Redis do) or `"s"` (whole seconds, as MySQL's `DATETIME`).
   * With `"s"` the suites only use whole-second dates.
   */
  datePrecision?: "ms" | "s";
}

/** What a test body receives: its fresh store, the expect, and a clock. @internal */
export interface TestContext<Store> {
  store: Store;
  expect: ConformanceExpect;
  /** A Date `offsetMs` from the test's start, at the store's precision. */
  at(offsetMs: number): Date;
}

/** Registers one test: gets a fresh store, runs the body, cleans up. @internal */
export type Define<Store> = (name: string, body: (context: TestContext<Store>) => Promise<void>) => void;

/**
 * Builds a suite's `test` function. `probe` is a method every store of this kind has, to tell a store
 * from a {@link StoreFixture}.
 *
 * @internal
 */
export function defineTests<Store extends object>(
  factory: StoreFactory<Store>,
  t: ConformanceTestAPI,
  options: ConformanceOptions,
  probe: string,
): Define<Store> {
  const precise = options.datePrecision !== "s";
  return (name, body) => {
    const run = async (): Promise<void> => {
      const made = await factory();
      const fixture: StoreFixture<Store> =
        typeof made === "object" && made !== null && !(probe in made) && "store" in made
          ? (made as StoreFixture<Store>)
          : { store: made as Store };
      // Whole seconds plus 789 ms, so a store that drops milliseconds fails the round trips.
      const start = Math.floor(Date.now() / 1000) * 1000 + (precise ? 789 : 0);
      const at = (offsetMs: number): Date =>
        new Date(start + (precise ? offsetMs : Math.round(offsetMs / 1000) * 1000));
      try {
        await body({ store: fixture.store, expect: t.expect, at });
      } finally {
        await fixture.cleanup?.();
      }
    };
    if (options.timeout === undefined) t.it(name, run);
    else t.it(name, run, options.timeout);
  };
}

/** A Date as an ISO string (milliseconds kept) for readable diffs, after checking it is a Date. @internal */
export function iso(expect: ConformanceExpect, value: unknown): string | null {
  if (value === null) return null;
  expect(value).toBeInstanceOf(Date);
  return (value as Date).toISOString();
}

/** A lowercase hex string of 64 characters, shaped like a SHA-256 digest: the same for the same label. @internal */
export function hex64(label: string): string {
  let state = 0x811c9dc5; // FNV-1a of the label seeds an xorshift32 stream
  for (const char of label) state = Math.imul(state ^ char.codePointAt(0)!, 0x01000193) >>> 0;
  let hex = "";
  while (hex.length < 64) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    hex += state.toString(16).padStart(8, "0");
  }
  return hex;
}

/** Record labels and their owners for the `deleteForUser` cases: three of user "1", and "10" is not "1". @internal */
export const OWNERS = [
  ["a", "1"],
  ["b", "2"],
  ["c", "1"],
  ["d", "1"],
  ["e", "10"],
] as const;

/** How many of the settled promises fulfilled. @internal */
export function fulfilled(results: readonly PromiseSettledResult<unknown>[]): number {
  return results.filter((result) => result.status === "fulfilled").length;
}

export const SECOND = 1000;
export const MINUTE: number = 60 * SECOND;
export const HOUR: number = 60 * MINUTE;
export const DAY: number = 24 * HOUR;
