import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FIXTURES, run } from "./fixtures/io.js";
import { closed, loadedFrom, tokens, users } from "./fixtures/memory-stores.js";

const TOKEN_LINE = /^Generated token pct_\S+ for user ada\n$/;
const fixture = (name: string) => join(FIXTURES, name);

beforeAll(async () => {
  await users.create({ username: "ada", passwordHash: null });
});
beforeEach(async () => {
  await tokens.deleteForUser("1");
  closed.count = 0;
  loadedFrom.length = 0;
});

describe("config exports", () => {
  it.each([
    ["named exports", "named.config.mjs"],
    ["properties of the default export (close as a method)", "default-object.config.mjs"],
    ["a default async function's result", "default-function.config.mjs"],
  ])("reads %s, and calls close once", async (_, file) => {
    const result = await run(["create-token", "ada", "--config", file]);
    expect(result).toEqual({ code: 0, stdout: expect.stringMatching(TOKEN_LINE), stderr: "" });
    expect(await tokens.listForUser("1")).toHaveLength(1);
    expect(closed.count).toBe(1);
  });

  it("names a missing tokens export, and still calls close", async () => {
    expect(await run(["create-token", "ada", "--config", "no-tokens.config.mjs"])).toEqual({
      code: 1,
      stdout: "",
      stderr: `Error: ${fixture("no-tokens.config.mjs")} does not export "tokens" (a TokenStore)\n`,
    });
    expect(closed.count).toBe(1);
  });

  it("refuses users that is not a UserStore", async () => {
    expect((await run(["revoke-tokens", "ada", "--config", "wrong-users.config.mjs"])).stderr).toBe(
      `Error: "users" in ${fixture("wrong-users.config.mjs")} is not a UserStore (it has no findByUsername method)\n`,
    );
  });

  it("reports a config that fails to load, with the cause under PORTCULLIS_DEBUG=1", async () => {
    const path = fixture("throws.config.mjs");
    expect(await run(["create-token", "ada", "--config", "throws.config.mjs"])).toEqual({
      code: 1,
      stdout: "",
      stderr: `Error: cannot load ${path}: DATABASE_URL is not set\n`,
    });
    const debug = await run(["create-token", "ada", "--config", "throws.config.mjs"], {
      env: { PORTCULLIS_DEBUG: "1" },
    });
    expect(debug.stderr).toMatch(
      /^Error: cannot load .*\nCommandError: cannot load [\s\S]*\nCaused by: Error: DATABASE_URL/,
    );
  });

  it("lets a store's error through as Error: <message>, stack only with PORTCULLIS_DEBUG=1, and closes", async () => {
    const argv = ["create-token", "ada", "--config", "broken-store.config.mjs"];
    expect(await run(argv)).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: connect ECONNREFUSED 127.0.0.1:5432\n",
    });
    expect(closed.count).toBe(1);
    const debug = await run(argv, { env: { PORTCULLIS_DEBUG: "1" } });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(
      /^Error: connect ECONNREFUSED 127\.0\.0\.1:5432\nError: connect ECONNREFUSED[\s\S]*\n {4}at /,
    );
    expect((await run(argv, { env: { PORTCULLIS_DEBUG: "true" } })).stderr).not.toContain("    at ");
  });

  it("reports an error from close after the command's own output", async () => {
    const result = await run(["create-token", "ada", "--config", "broken-close.config.mjs"]);
    expect(result).toEqual({
      code: 1,
      stdout: expect.stringMatching(TOKEN_LINE),
      stderr: "Error: pool already ended\n",
    });
  });
});

describe("finding the config", () => {
  // Each folder's config sets its own PBKDF2 iterations, so hash-password shows which --config it read.
  const iterations = async (cwd: string, ...args: string[]) => {
    const { stdout, stderr } = await run(["hash-password", ...args], { cwd, stdin: "x" });
    expect(stderr).toBe("");
    return stdout.split("$")[1];
  };

  it("loads portcullis.config.js or portcullis.config.mjs from the working folder, .js first", async () => {
    for (const folder of ["cwd-js", "cwd-mjs", "cwd-both"]) {
      const created = await run(["create-token", "ada"], { cwd: fixture(folder) });
      expect(created).toEqual({ code: 0, stdout: expect.stringMatching(TOKEN_LINE), stderr: "" });
    }
    expect(await run(["revoke-tokens", "ada"], { cwd: fixture("cwd-js") })).toMatchObject({ code: 0 });
    expect(loadedFrom).toEqual([
      "cwd-js/portcullis.config.js",
      "cwd-mjs/portcullis.config.mjs",
      "cwd-both/portcullis.config.js",
      "cwd-js/portcullis.config.js",
    ]);
  });

  it("hash-password never imports the working folder's config: it needs none", async () => {
    // Both files throw when imported; the hash comes out all the same.
    const { code, stdout, stderr } = await run(["hash-password", "--iterations", "1000"], {
      cwd: fixture("cwd-throws"),
      stdin: "secret",
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^pbkdf2_sha256\$1000\$[A-Za-z0-9]{22}\$\S{44}\n$/);
    // A loadable config in the folder is not read either: its passwords (1001 iterations) are not used.
    expect(await iterations(fixture("cwd-js"))).toBe("600000");
    expect(loadedFrom).toEqual([]);
  });

  it("hash-password still loads a config named with --config", async () => {
    expect(await iterations(fixture("cwd-js"), "--config", "portcullis.config.js")).toBe("1001");
    expect(loadedFrom).toEqual(["cwd-js/portcullis.config.js"]);
    const path = fixture("cwd-throws/portcullis.config.js");
    expect(await run(["hash-password", "--config", path], { stdin: "x" })).toEqual({
      code: 1,
      stdout: "",
      stderr: `Error: cannot load ${path}: hash-password imported ./portcullis.config.js\n`,
    });
  });

  it("prefers --config, relative to the working folder or absolute", async () => {
    expect(await iterations(fixture("cwd-js"), "--config", "../named.config.mjs")).toBe("1000");
    expect(await iterations(fixture("cwd-js"), "--config", fixture("cwd-mjs/portcullis.config.mjs"))).toBe(
      "1002",
    );
  });

  it("refuses a --config that does not exist", async () => {
    expect(await run(["hash-password", "--config", "nope.mjs"], { stdin: "x" })).toEqual({
      code: 1,
      stdout: "",
      stderr: `Error: config file ${fixture("nope.mjs")} does not exist\n`,
    });
  });

  it.each([["create-token"], ["revoke-tokens"]])(
    "%s needs a config: exit 1 naming the folder",
    async (cmd) => {
      expect(await run([cmd, "ada"])).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: no portcullis.config.js or portcullis.config.mjs in ${FIXTURES} (use --config PATH)\n`,
      });
    },
  );
});
