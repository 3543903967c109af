import { fileURLToPath } from "node:url";
import { type BuildOptions, build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FRAMEWORK = /(^|\/)node_modules\/(express|fastify|hono|koa|@fastify\/[^/]+|@hono\/[^/]+|@koa\/[^/]+)\//;

/** Every file a bundle of `stdin` pulls in (the module graph), frameworks included: none is external. */
async function moduleGraph(contents: string, platform: BuildOptions["platform"]): Promise<string[]> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    write: false,
    metafile: true,
    logLevel: "silent",
    platform,
    format: "esm",
    mainFields: ["module", "main"],
    conditions: ["import", "default"],
    external: ["node:*"],
  });
  return Object.keys(result.metafile.inputs);
}

const frameworksIn = (inputs: string[]) => inputs.filter((input) => FRAMEWORK.test(input));

describe("importing portcullis loads no framework", () => {
  it("the root entry's module graph (platform neutral) holds no express, fastify, hono or koa file", async () => {
    const inputs = await moduleGraph('export * from "./src/index.ts";', "neutral");
    expect(inputs).toContain("src/index.ts");
    expect(inputs).toContain("src/core/runner.ts");
    expect(inputs.some((input) => input.includes("node_modules/jose/"))).toBe(true);
    expect(frameworksIn(inputs)).toEqual([]);
  });

  it("nor do portcullis/adapter-kit and portcullis/sessions", async () => {
    const inputs = await moduleGraph(
      'export * from "./src/adapter-kit.ts"; export * from "./src/sessions/index.ts";',
      "neutral",
    );
    expect(inputs).toContain("src/core/guard.ts");
    expect(inputs).toContain("src/sessions/csrf.ts");
    expect(frameworksIn(inputs)).toEqual([]);
  });

  it("the check sees a framework when one is imported (control)", async () => {
    const inputs = await moduleGraph(
      'export * from "./src/index.ts"; export { Hono } from "hono";',
      "neutral",
    );
    expect(frameworksIn(inputs).length).toBeGreaterThan(0);
    expect(frameworksIn(inputs).every((input) => input.startsWith("node_modules/hono/"))).toBe(true);
  });
});
