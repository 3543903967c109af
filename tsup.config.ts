import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: {
      index: "src/index.ts",
      "testing/index": "src/testing/index.ts",
      "adapter-kit": "src/adapter-kit.ts",
      "sessions/index": "src/sessions/index.ts",
      permissions: "src/permissions.ts",
      "throttling/index": "src/throttling/index.ts",
      "adapters/fetch": "src/adapters/fetch.ts",
      "adapters/node": "src/adapters/node.ts",
      "adapters/express": "src/adapters/express.ts",
      "adapters/fastify": "src/adapters/fastify.ts",
      "adapters/hono": "src/adapters/hono.ts",
      "adapters/koa": "src/adapters/koa.ts",
      "stores/kysely": "src/stores/kysely/index.ts",
      "stores/redis": "src/stores/redis/index.ts",
    },
    format: ["esm", "cjs"],
    dts: true,
    splitting: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
    // node:stream (the Node adapters' mount) stays an import; frameworks are peer dependencies.
    external: [/^node:/],
    // With Node's types, for the Node adapters' declarations; the portable code is checked by tsconfig.json.
    tsconfig: "tsconfig.build.json",
  },
  {
    // The `portcullis` command (Node only).
    entry: { "cli/index": "src/cli/index.ts" },
    format: ["esm"],
    dts: false,
    sourcemap: true,
    target: "node20",
    platform: "node",
    tsconfig: "tsconfig.cli.json",
  },
]);
