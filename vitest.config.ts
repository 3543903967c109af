import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Needs a Django stack from Debian: `npm run test:interop`, which .ci/run installs and runs.
    exclude: ["tests/interop/**", "**/node_modules/**"],
    testTimeout: 30_000,
    typecheck: { enabled: true, include: ["tests/**/*.test-d.ts"], tsconfig: "./tsconfig.node.json" },
  },
});
