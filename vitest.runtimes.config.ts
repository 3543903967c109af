// The runtime matrix (scripts/test-runtimes.mjs): the suites it passes on the command line, plus the
// runtime probe; no typecheck pass (tsc runs once, under `npm run typecheck`).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "tests/runtimes/probe.runtime.ts"],
    testTimeout: 30_000,
    typecheck: { enabled: false },
  },
});
