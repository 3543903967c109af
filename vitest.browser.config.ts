import { defineConfig } from "vitest/config";

// The real-browser tests: headless Chromium inside a loopback-only network namespace.
// Run them with `npm run test:browser` (scripts/test-browser.sh); `npm test` never picks them up.
export default defineConfig({
  test: {
    include: ["tests/browser/**/*.e2e.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
