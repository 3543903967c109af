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
