import { readFileSync } from "node:fs";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { HELP, USAGE } from "../../src/cli/usage.js";
import {
  AuthenticationFailed,
  TokenAuthentication,
  type TokenRecord,
  verifyPassword,
} from "../../src/index.js";
import { makeRequest } from "../../src/testing/index.js";
import { run } from "./fixtures/io.js";
import { closed, tokens, users } from "./fixtures/memory-stores.js";

const NAMED = ["--config", "named.config.mjs"];
const TOKEN = /^Generated token (pct_[A-Za-z0-9_-]{43}) for user (.+)\n$/;
const PBKDF2_1000 = /^pbkdf2_sha256\$1000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=\n$/;

const scheme = new TokenAuthentication({ tokens, users });
const authenticateToken = (token: string) =>
  scheme.authenticate(makeRequest({ headers: { Authorization: `Token ${token}` } }));

/** The usage error a command prints: the message, its one-line usage and where to find more. */
function usageError(message: string, command: string | null): string {
  const more = command === null ? "portcullis --help" : `portcullis ${command} --help`;
  return `Error: ${message}\n${USAGE[command ?? "portcullis"]}\nRun '${more}' for more.\n`;
}

/** Runs create-token and returns the printed token. */
async function createToken(...args: string[]): Promise<string> {
  const result = await run(["create-token", ...args, ...NAMED]);
  expect(result).toMatchObject({ code: 0, stderr: "" });
  return TOKEN.exec(result.stdout)![1]!;
}

let ada: string;
let bob: string;
beforeAll(async () => {
  ada = (await users.create({ username: "ada", passwordHash: null })).id;
  bob = (await users.create({ username: "bob", passwordHash: null })).id;
  await users.create({ username: "-dash", passwordHash: null });
  await users.create({ username: "José Ñúñez", passwordHash: null });
});
beforeEach(async () => {
  for (const id of ["1", "2", "3", "4"]) await tokens.deleteForUser(id);
  closed.count = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe("portcullis", () => {
  it.each([["--help"], ["-h"]])("%s prints the help on stdout and exits 0", async (flag) => {
    const result = await run([flag]);
    expect(result).toEqual({ code: 0, stdout: HELP.portcullis, stderr: "" });
    for (const command of ["create-token", "revoke-tokens", "hash-password", "--version"]) {
      expect(result.stdout).toContain(command);
    }
  });

  it("--version prints the version in package.json", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    expect(await run(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it.each([
    [[], "no command given"],
    [["bogus"], "unknown command 'bogus'"],
    [["--bogus"], "unknown option '--bogus'"],
    [["-x", "create-token"], "unknown option '-x'"],
    [["constructor"], "unknown command 'constructor'"],
  ])("%j is a usage error: exit 2, stderr only", async (argv, message) => {
    expect(await run(argv)).toEqual({ code: 2, stdout: "", stderr: usageError(message, null) });
  });

  it.each(["create-token", "revoke-tokens", "hash-password"])(
    "%s --help prints its help",
    async (command) => {
      const expected = { code: 0, stdout: HELP[command], stderr: "" };
      expect(await run([command, "--help"])).toEqual(expected);
      expect(await run([command, "-h"])).toEqual(expected);
      // --help wins over a bad command line, and loads no config.
      expect(await run([command, "--bogus", "x", "y", "--help", ...NAMED])).toEqual(expected);
      expect(closed.count).toBe(0);
    },
  );
});

describe("create-token (DRF's drf_create_token)", () => {
  it("issues a token and prints exactly DRF's line", async () => {
    const result = await run(["create-token", "ada", ...NAMED]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const [, token, username] = TOKEN.exec(result.stdout)!;
    expect(username).toBe("ada");
    const authenticated = await authenticateToken(token!);
    expect(authenticated?.user).toEqual({ id: ada, username: "ada" });
    expect(authenticated?.auth).toMatchObject({ userId: ada, name: null, expiresAt: null });
    expect(closed.count).toBe(1);
  });

  it.each([
    ["30d", 30 * 86_400],
    ["12h", 12 * 3600],
    ["3600", 3600],
  ])("--ttl %s sets the expiry", async (ttl, seconds) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    await createToken("ada", "--ttl", ttl, "--name", "CI");
    const [record] = await tokens.listForUser(ada);
    expect(record).toMatchObject<Partial<TokenRecord>>({
      name: "CI",
      createdAt: new Date("2030-01-01T00:00:00Z"),
      expiresAt: new Date(Date.parse("2030-01-01T00:00:00Z") + seconds * 1000),
    });
  });

  it("accepts --name=VALUE and a value starting with a dash that way", async () => {
    await createToken("ada", "--name=-laptop-");
    expect((await tokens.listForUser(ada)).map((t) => t.name)).toEqual(["-laptop-"]);
  });

  it("keeps earlier tokens: each run issues one more (tokens are hashed, so there is no get_or_create)", async () => {
    const first = await createToken("ada");
    const second = await createToken("ada");
    expect(first).not.toBe(second);
    expect(await tokens.listForUser(ada)).toHaveLength(2);
    expect((await authenticateToken(first))?.user).toEqual({ id: ada, username: "ada" });
  });

  it.each([["--reset"], ["-r"]])("%s revokes the user's tokens first, and only theirs", async (flag) => {
    const old = await createToken("ada");
    const { token: bobs } = await scheme.issue(bob);
    const fresh = await createToken("ada", flag);
    await expect(authenticateToken(old)).rejects.toThrow(new AuthenticationFailed("Invalid token."));
    expect((await authenticateToken(fresh))?.user).toEqual({ id: ada, username: "ada" });
    expect((await authenticateToken(bobs))?.user).toEqual({ id: bob, username: "bob" });
    expect(await tokens.listForUser(ada)).toHaveLength(1);
  });

  it("takes any username after --, and prints it as given", async () => {
    const result = await run(["create-token", ...NAMED, "--", "-dash"]);
    expect(result.stdout).toMatch(/^Generated token pct_\S+ for user -dash\n$/);
    expect(TOKEN.exec((await run(["create-token", "José Ñúñez", ...NAMED])).stdout)?.[2]).toBe("José Ñúñez");
  });

  it("refuses an unknown user with DRF's CommandError text, exit 1, nothing issued", async () => {
    const result = await run(["create-token", "nobody", "--reset", ...NAMED]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: Cannot create the Token: user nobody does not exist\n",
    });
    expect(closed.count).toBe(1);
  });

  it("matches usernames exactly, as findByUsername does", async () => {
    expect((await run(["create-token", "ADA", ...NAMED])).stderr).toBe(
      "Error: Cannot create the Token: user ADA does not exist\n",
    );
  });

  it.each([
    [["create-token"], "missing argument <username>"],
    [["create-token", "ada", "bob"], "unexpected argument 'bob'"],
    [["create-token", "ada", "--bogus"], "unknown option '--bogus'"],
    [["create-token", "ada", "-x"], "unknown option '-x'"],
    [["create-token", "ada", "--name"], "option '--name' needs a value"],
    [["create-token", "ada", "--ttl", "--reset"], "option '--ttl' needs a value"],
    [["create-token", "ada", "--reset=yes"], "option '--reset' takes no value"],
    [["create-token", "ada", "--config"], "option '--config' needs a value"],
    [
      ["create-token", "ada", "--ttl", "5 minutes"],
      '--ttl must be a number of seconds or a string such as "30d", "12h", "5m" or "300s".',
    ],
    [["create-token", "ada", "--ttl", "1.5h"], expect.stringContaining("--ttl must be a number")],
    [
      ["create-token", "ada", "--ttl", "0"],
      "--ttl must be more than 0 (omit it for a token that never expires)",
    ],
  ])("%j is a usage error before any config is loaded", async (argv, message) => {
    const result = await run([...argv, ...NAMED]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: typeof message === "string" ? usageError(message, "create-token") : expect.any(String),
    });
    if (typeof message !== "string") expect(result.stderr).toEqual(message);
    expect(closed.count).toBe(0);
  });
});

describe("revoke-tokens", () => {
  it("revokes every token of the user and says how many", async () => {
    const tokensOfAda = [await createToken("ada"), await createToken("ada")];
    const { token: bobs } = await scheme.issue(bob);
    expect(await run(["revoke-tokens", "ada", ...NAMED])).toEqual({
      code: 0,
      stdout: "Revoked 2 token(s) for user ada\n",
      stderr: "",
    });
    for (const token of tokensOfAda) {
      await expect(authenticateToken(token)).rejects.toThrow("Invalid token.");
    }
    expect((await authenticateToken(bobs))?.user).toEqual({ id: bob, username: "bob" });
  });

  it("answers 0 when there was nothing to revoke", async () => {
    expect((await run(["revoke-tokens", "ada", ...NAMED])).stdout).toBe("Revoked 0 token(s) for user ada\n");
  });

  it("refuses an unknown user, exit 1", async () => {
    expect(await run(["revoke-tokens", "nobody", ...NAMED])).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: Cannot revoke tokens: user nobody does not exist\n",
    });
  });

  it.each([
    [["revoke-tokens"], "missing argument <username>"],
    [["revoke-tokens", "ada", "bob"], "unexpected argument 'bob'"],
    [["revoke-tokens", "ada", "--reset"], "unknown option '--reset'"],
  ])("%j is a usage error", async (argv, message) => {
    expect(await run([...argv, ...NAMED])).toEqual({
      code: 2,
      stdout: "",
      stderr: usageError(message, "revoke-tokens"),
    });
  });
});

describe("hash-password", () => {
  const FAST = ["--iterations", "1000"];

  it("hashes the password on stdin and never echoes it", async () => {
    const result = await run(["hash-password", ...FAST], { stdin: "hunter2-Ω\n" });
    expect(result).toEqual({ code: 0, stdout: expect.stringMatching(PBKDF2_1000), stderr: "" });
    expect(result.stdout).not.toContain("hunter2");
    expect(await verifyPassword("hunter2-Ω", result.stdout.trim(), { iterations: 1000 })).toEqual({
      valid: true,
      needsRehash: false,
    });
  });

  it.each([
    ["secret\n", "secret"],
    ["secret\r\n", "secret"],
    ["secret", "secret"],
    ["secret\n\n", "secret\n"],
    ["secret\r", "secret\r"],
    ["  leading and inner  spaces  \n", "  leading and inner  spaces  "],
    ["tab\t\n", "tab\t"],
    ["lètmein\n", "lètmein"],
    [" \n", " "],
  ])("stdin %j is the password %j (one trailing newline stripped, nothing else)", async (stdin, password) => {
    const { code, stdout } = await run(["hash-password", ...FAST], { stdin });
    expect(code).toBe(0);
    expect((await verifyPassword(password, stdout.trim(), { iterations: 1000 })).valid).toBe(true);
    if (stdin !== password)
      expect((await verifyPassword(stdin, stdout.trim(), { iterations: 1000 })).valid).toBe(false);
  });

  it("reassembles UTF-8 split across chunks", async () => {
    const bytes = new TextEncoder().encode("pässwörd\n");
    const stdin = [bytes.slice(0, 2), bytes.slice(2, 7), bytes.slice(7)];
    const { stdout } = await run(["hash-password", ...FAST], { stdin });
    expect((await verifyPassword("pässwörd", stdout.trim(), { iterations: 1000 })).valid).toBe(true);
  });

  it("refuses input that is not UTF-8", async () => {
    expect(await run(["hash-password", ...FAST], { stdin: [new Uint8Array([0x70, 0xff, 0x0a])] })).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: the password on stdin is not valid UTF-8\n",
    });
  });

  it.each(["", "\n", "\r\n"])("refuses an empty password (stdin %j) unless --allow-empty", async (stdin) => {
    expect(await run(["hash-password", ...FAST], { stdin })).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: no password on stdin (pass --allow-empty to hash the empty password)\n",
    });
    const allowed = await run(["hash-password", ...FAST, "--allow-empty"], { stdin });
    expect(allowed.stdout).toMatch(PBKDF2_1000);
    expect((await verifyPassword("", allowed.stdout.trim(), { iterations: 1000 })).valid).toBe(true);
  });

  it("without a config or flags writes Django's default: pbkdf2_sha256, 600000 iterations", async () => {
    const { code, stdout } = await run(["hash-password"], { stdin: "secret\n" });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pbkdf2_sha256\$600000\$[A-Za-z0-9]{22}\$\S{44}\n$/);
  });

  it("takes the config's passwords as defaults and lets the flags override them", async () => {
    const config = ["--config", "passwords.config.mjs"];
    const scrypt = (await run(["hash-password", ...config], { stdin: "secret" })).stdout;
    expect(scrypt).toMatch(/^scrypt\$1024\$[A-Za-z0-9]{22}\$8\$1\$\S{88}\n$/);
    const argon2 = (await run(["hash-password", ...config, "--algorithm", "argon2"], { stdin: "secret" }))
      .stdout;
    expect(argon2).toMatch(/^argon2\$argon2id\$v=19\$m=64,t=1,p=1\$\S+\n$/);
    const pbkdf2 = await run(["hash-password", ...config, "--algorithm", "pbkdf2_sha256", ...FAST], {
      stdin: "secret",
    });
    expect(pbkdf2.stdout).toMatch(PBKDF2_1000);
    for (const hash of [scrypt, argon2, pbkdf2.stdout]) {
      expect((await verifyPassword("secret", hash.trim(), { iterations: 1000 })).valid).toBe(true);
    }
    expect((await run(["hash-password", ...NAMED], { stdin: "x" })).stdout).toMatch(PBKDF2_1000);
    expect((await run(["hash-password", ...NAMED, "--iterations", "2000"], { stdin: "x" })).stdout).toMatch(
      /^pbkdf2_sha256\$2000\$/,
    );
    expect(closed.count).toBe(2);
  });

  it("refuses --iterations for another algorithm", async () => {
    const result = await run(["hash-password", "--config", "passwords.config.mjs", ...FAST], { stdin: "x" });
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: usageError("--iterations applies to pbkdf2_sha256, not scrypt", "hash-password"),
    });
  });

  it("reports the library's RangeError for an out-of-range cost from the config, exit 1", async () => {
    const result = await run(["hash-password", "--config", "huge.config.mjs"], { stdin: "x" });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "Error: iterations must be an integer from 1 to 2147483647.\n",
    });
  });

  it.each([
    [["--algorithm", "md5"], "--algorithm must be pbkdf2_sha256, argon2 or scrypt"],
    [["--algorithm", "PBKDF2_SHA256"], "--algorithm must be pbkdf2_sha256, argon2 or scrypt"],
    [["--iterations", "0"], "--iterations must be a positive whole number"],
    [["--iterations", "1e3"], "--iterations must be a positive whole number"],
    [["--iterations", "01000"], "--iterations must be a positive whole number"],
    [["--iterations", "2147483648"], "--iterations must be at most 2147483647"],
    [["--iterations", "-5"], "option '--iterations' needs a value"],
    [["--allow-empty=1"], "option '--allow-empty' takes no value"],
    [["secret"], "unexpected argument 'secret'"],
  ])("%j is a usage error, and stdin is not read", async (argv, message) => {
    const stdin = {
      async *[Symbol.asyncIterator]() {
        yield expect.unreachable("stdin was read");
      },
    };
    expect(await run(["hash-password", ...argv], { stdin })).toEqual({
      code: 2,
      stdout: "",
      stderr: usageError(message, "hash-password"),
    });
  });

  describe("at a terminal", () => {
    function terminal(...keys: Array<string | Uint8Array>) {
      const setRawMode = vi.fn();
      const stdin = Object.assign(
        (async function* () {
          yield* keys;
        })(),
        { isTTY: true, setRawMode },
      );
      return { stdin, setRawMode };
    }

    it("prompts on stderr, reads in raw mode (no echo) up to Enter, and handles backspace", async () => {
      const { stdin, setRawMode } = terminal("hunter2", "x", "\u007f", "\r", "ignored");
      const result = await run(["hash-password", ...FAST], { stdin });
      expect(result).toEqual({ code: 0, stdout: expect.stringMatching(PBKDF2_1000), stderr: "Password: \n" });
      expect(setRawMode.mock.calls).toEqual([[true], [false]]);
      expect((await verifyPassword("hunter2", result.stdout.trim(), { iterations: 1000 })).valid).toBe(true);
    });

    it("decodes multi-byte keys split across reads", async () => {
      const bytes = new TextEncoder().encode("ñ€\n");
      const { stdin } = terminal(bytes.slice(0, 1), bytes.slice(1, 3), bytes.slice(3));
      const { stdout } = await run(["hash-password", ...FAST], { stdin });
      expect((await verifyPassword("ñ€", stdout.trim(), { iterations: 1000 })).valid).toBe(true);
    });

    it("cancels on Ctrl-C and restores the terminal", async () => {
      const { stdin, setRawMode } = terminal("abc\u0003");
      expect(await run(["hash-password", ...FAST], { stdin })).toEqual({
        code: 1,
        stdout: "",
        stderr: "Password: \nError: cancelled\n",
      });
      expect(setRawMode.mock.calls).toEqual([[true], [false]]);
    });

    it("refuses an empty entry unless --allow-empty", async () => {
      expect((await run(["hash-password", ...FAST], terminal("\r"))).code).toBe(1);
      expect((await run(["hash-password", ...FAST, "--allow-empty"], terminal("\u0004"))).code).toBe(0);
    });
  });
});
