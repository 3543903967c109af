/**
 * The real `portcullis` process, run through tsx in a temporary folder whose config keeps users and tokens
 * in a JSON file: what one run writes, the next run and TokenAuthentication read.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationFailed,
  authenticate,
  hashPassword,
  TokenAuthentication,
  verifyPassword,
} from "../../src/index.js";
import { makeRequest } from "../../src/testing/index.js";
import { JsonFileTokenStore, JsonFileUserStore } from "./fixtures/json-stores.js";

const CLI = fileURLToPath(new URL("../../src/cli/index.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");
const CONFIG = new URL("./fixtures/json.config.mjs", import.meta.url).href;
const NODE = `${JSON.stringify(process.execPath)} --import ${TSX} ${JSON.stringify(CLI)}`;

let folder: string;
let db: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a shell command line in the temporary folder; `portcullis` stands for the CLI. */
function shell(line: string): Promise<Run> {
  const env = { ...process.env };
  delete env.PORTCULLIS_DEBUG;
  return new Promise((resolve) => {
    execFile(
      "sh",
      ["-c", line.replaceAll("portcullis", NODE)],
      { cwd: folder, env },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

const scheme = () => {
  const users = new JsonFileUserStore(db);
  return new TokenAuthentication({ users, tokens: new JsonFileTokenStore(db) });
};
const request = (token: string) => makeRequest({ headers: { Authorization: `Token ${token}` } });

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "portcullis-cli-"));
  db = join(folder, "db.json");
  writeFileSync(join(folder, "portcullis.config.mjs"), `export * from ${JSON.stringify(CONFIG)};\n`);
  const users = new JsonFileUserStore(db);
  await users.create({ username: "ada", passwordHash: await hashPassword("pw", { iterations: 1000 }) });
  await users.create({ username: "bob", passwordHash: await hashPassword("pw", { iterations: 1000 }) });
});
afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe("portcullis, end to end", () => {
  let first: string;

  it("create-token issues a token that authenticates Authorization: Token <token>", async () => {
    const result = await shell("portcullis create-token ada --name e2e --ttl 1h");
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const match = /^Generated token (pct_[A-Za-z0-9_-]{43}) for user ada\n$/.exec(result.stdout);
    expect(match).not.toBeNull();
    first = match![1]!;
    expect(existsSync(join(folder, "closed"))).toBe(true); // the config's close ran

    const outcome = await authenticate(request(first), [scheme()]);
    expect(outcome).toMatchObject({
      outcome: "success",
      user: { id: "1", username: "ada" },
      scheme: "token",
    });
    const auth = outcome.outcome === "success" ? (outcome.auth as { name: string; expiresAt: Date }) : null;
    expect(auth?.name).toBe("e2e");
    expect(auth!.expiresAt.getTime() - Date.now()).toBeGreaterThan(3500_000);
  });

  it("create-token --reset revokes the earlier token", async () => {
    const result = await shell("portcullis create-token ada --reset");
    const second = /^Generated token (\S+) for user ada\n$/.exec(result.stdout)![1]!;
    await expect(scheme().authenticate(request(first))).rejects.toThrow(
      new AuthenticationFailed("Invalid token."),
    );
    expect((await scheme().authenticate(request(second)))?.user).toEqual({ id: "1", username: "ada" });
  });

  it("revoke-tokens revokes them all", async () => {
    expect(await shell("portcullis revoke-tokens ada")).toEqual({
      code: 0,
      stdout: "Revoked 1 token(s) for user ada\n",
      stderr: "",
    });
    expect(await new JsonFileTokenStore(db).listForUser("1")).toEqual([]);
  });

  it("exits 1 with DRF's message for an unknown user, 2 for a usage error; --version reads package.json", async () => {
    const [unknown, usage, version] = await Promise.all([
      shell("portcullis create-token nobody"),
      shell("portcullis"),
      shell("portcullis --version"),
    ]);
    expect(unknown).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: Cannot create the Token: user nobody does not exist\n",
    });
    expect(usage).toMatchObject({ code: 2, stdout: "" });
    expect(usage.stderr).toMatch(/^Error: no command given\nUsage: portcullis <command>/);
    expect(version).toEqual({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\S*\n$/), stderr: "" });
  });

  it("echo -n secret | portcullis hash-password round-trips through verifyPassword", async () => {
    const { code, stdout, stderr } = await shell(
      "echo -n secret | portcullis hash-password --iterations 1000",
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^pbkdf2_sha256\$1000\$\S+\n$/);
    expect(await verifyPassword("secret", stdout.trim(), { iterations: 1000 })).toEqual({
      valid: true,
      needsRehash: false,
    });
  });

  it("hash-password runs in a folder whose portcullis.config.js throws on import, and never imports it", async () => {
    const sub = join(folder, "app");
    mkdirSync(sub);
    const marker = join(sub, "imported");
    writeFileSync(
      join(sub, "portcullis.config.js"),
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "");\nthrow new Error("boom");\n`,
    );
    writeFileSync(join(sub, "package.json"), '{"type": "module"}\n');
    const { code, stdout, stderr } = await shell(
      "cd app && echo -n secret | portcullis hash-password --iterations 1000",
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect((await verifyPassword("secret", stdout.trim(), { iterations: 1000 })).valid).toBe(true);
    expect(existsSync(marker)).toBe(false);
    // The same folder's config is what the token commands load.
    expect(await shell("cd app && portcullis revoke-tokens ada")).toMatchObject({ code: 1 });
    expect(existsSync(marker)).toBe(true);
  });
});
