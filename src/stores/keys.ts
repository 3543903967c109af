/**
 * Argument checks the stores share: ids, jtis and digests are non-empty strings.
 * @internal
 */

/**
 * Throws a TypeError unless the value is a non-empty string.
 *
 * @param value - the argument
 * @param what - how the message names it, with its store: `"MemoryRevocationStore: jti"`
 * @example
 * ```ts
 * checkKey(jti, "MemoryRevocationStore: jti");
 * ```
 * @internal
 */
export function checkKey(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string" || value === "") throw new TypeError(`${what} must be a non-empty string.`);
}

/**
 * Null, or else the value, after checking it is a non-empty string.
 *
 * @param value - the argument
 * @param what - how the message names it, with its store: `"MemoryRevocationStore: userId"`
 * @returns the value
 * @example
 * ```ts
 * const userId = optionalKey(token.userId, "MemoryRevocationStore: userId");
 * ```
 * @internal
 */
export function optionalKey(value: unknown, what: string): string | null {
  if (value === null) return null;
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`${what} must be a non-empty string or null.`);
  }
  return value;
}

/**
 * Throws a TypeError unless a ThrottleStore call's arguments are what its storage can hold: a
 * non-empty key, a whole non-negative limit, a positive window and a whole `now` (epoch ms).
 *
 * @param store - the store's name, for the message
 * @param key - the throttle key
 * @param limit - the entries allowed in the window
 * @param windowMs - the window, in ms
 * @param now - the caller's clock, in ms
 * @example
 * ```ts
 * checkThrottleArguments("RedisThrottleStore", key, limit, windowMs, now);
 * ```
 * @internal
 */
export function checkThrottleArguments(
  store: string,
  key: string,
  limit: number,
  windowMs: number,
  now: number,
): void {
  checkKey(key, `${store}: key`);
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new TypeError(`${store}: limit must be a non-negative integer.`);
  }
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new TypeError(`${store}: windowMs must be a positive integer.`);
  }
  if (!Number.isSafeInteger(now)) throw new TypeError(`${store}: now must be an integer (epoch ms).`);
}
