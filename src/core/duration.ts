/**
 * Lifetimes given as seconds or as short duration strings ("30d", "12h", "5m").
 */

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^([0-9]+)(s|m|h|d|w)$/;

/**
 * A lifetime in seconds, or a string of a whole number and one unit: `s`, `m`, `h`, `d` or `w`
 * (`"300s"`, `"5m"`, `"12h"`, `"30d"`, `"2w"`).
 *
 * @example
 * ```ts
 * const ttl: Duration = "30d";
 * ```
 */
export type Duration = number | `${number}${"s" | "m" | "h" | "d" | "w"}`;

/**
 * Converts a {@link Duration} to whole seconds.
 *
 * @param value - seconds (a non-negative finite number) or a duration string
 * @param name - the option's name, for the error message
 * @returns the number of seconds
 * @throws RangeError for anything else (`"5 minutes"`, `-1`, `NaN`, `"1.5h"`)
 * @example
 * ```ts
 * parseDuration("12h"); // 43200
 * parseDuration(90); // 90
 * ```
 */
export function parseDuration(value: Duration, name = "duration"): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === "string") {
    const match = DURATION.exec(value);
    if (match) return Number(match[1]) * UNITS[match[2]!]!;
  }
  throw new RangeError(
    `${name} must be a number of seconds or a string such as "30d", "12h", "5m" or "300s".`,
  );
}
