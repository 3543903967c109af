import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/adapter-kit.js";

describe("parseDuration", () => {
  it.each([
    [0, 0],
    [90, 90],
    [1.5, 1.5],
    ["300s", 300],
    ["5m", 300],
    ["12h", 43_200],
    ["30d", 2_592_000],
    ["2w", 1_209_600],
    ["0s", 0],
  ] as const)("reads %j as %d seconds", (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each([
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ["5 minutes"],
    ["1.5h"],
    ["h"],
    ["5M"],
    [""],
    ["-5m"],
    [" 5m"],
  ])("refuses %j with a RangeError naming the option", (value) => {
    expect(() => parseDuration(value as never, "ttl")).toThrow(
      new RangeError('ttl must be a number of seconds or a string such as "30d", "12h", "5m" or "300s".'),
    );
  });
});
