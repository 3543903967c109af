import { defineConfig } from "vitest/config";

// Interop with a real Django stack (Debian's python3-django & co., installed by .ci/run): a separate
// run, so that `npm test` needs nothing outside npm.
export default defineConfig({
  test: {
    include: ["tests/interop/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
