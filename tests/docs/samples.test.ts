/**
 * Every code sample of README.md and docs/*.md compiles against the sources. tests/docs/run.test.ts
 * runs them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { samples, typeCheck } from "./samples.js";

const ALL = samples();

describe("the docs' code samples type-check against the sources", () => {
  let diagnostics: Map<string, string[]>;
  beforeAll(() => {
    diagnostics = typeCheck(ALL);
  }, 180_000);

  it("finds the samples of README.md and every docs page", () => {
    expect(ALL.length).toBeGreaterThan(40);
    expect(new Set(ALL.map((sample) => sample.file))).toContain("README.md");
    expect(new Set(ALL.map((sample) => sample.file))).toContain("docs/adapters.md");
  });

  it.each(ALL.map((sample) => [sample.id, sample] as const))("%s", (id) => {
    expect(diagnostics.get(id) ?? []).toEqual([]);
  });
});
