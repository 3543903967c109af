/**
 * The `portcullis` commands: DRF's `manage.py drf_create_token` and friends, callable in-process.
 */
import { type Duration, parseDuration } from "../adapter-kit.js";
import {
  hashPassword,
  type PasswordAlgorithm,
  type PasswordOptions,
  revokeAllTokens,
  TokenAuthentication,
} from "../index.js";
import { MAX_ITERATIONS } from "../passwords/pbkdf2.js";
import { type OptionSpec, type ParsedArgs, parseCommandArgs, stringOption } from "./args.js";
import { findConfig, type LoadedConfig, loadConfig, requireStores } from "./config.js";
import { CommandError, UsageError } from "./errors.js";
import { type PasswordInput, readPassword } from "./password-input.js";
import { HELP, packageVersion, USAGE } from "./usage.js";

/**
 * What {@link main} reads and writes instead of `process`, so tests can run it in-process.
 *
 * @example
 * ```ts
 * const io: CommandIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
 * ```
 */
export interface CommandIO {
  /** The password for `hash-password`; read only by that command. */
  stdin: PasswordInput;
  /** Results. */
  stdout: { write(text: string): unknown };
  /** Errors, usage errors and the password prompt. */
  stderr: { write(text: string): unknown };
  /** The folder that config files and `--config` paths are relative to. */
  cwd: string;
  /** `PORTCULLIS_DEBUG=1` adds stack traces to errors. */
  env: Record<string, string | undefined>;
}

interface Command {
  options: OptionSpec;
  positionals: readonly string[];
  run(args: ParsedArgs, io: CommandIO): Promise<void>;
}

const HELP_OPTION = { type: "boolean", short: "h" } as const;
const CONFIG_OPTION = { type: "string" } as const;
const ALGORITHMS: readonly PasswordAlgorithm[] = ["pbkdf2_sha256", "argon2", "scrypt"];

const COMMANDS: Readonly<Record<string, Command>> = {
  // DRF drf_create_token: find the user by natural key, optionally delete the old token, print the new one.
  "create-token": {
    options: {
      reset: { type: "boolean", short: "r" },
      name: { type: "string" },
      ttl: { type: "string" },
      config: CONFIG_OPTION,
      help: HELP_OPTION,
    },
    positionals: ["username"],
    async run({ values, positionals: [username = ""] }, io) {
      const ttl = parseTTL(stringOption(values, "ttl"));
      const name = stringOption(values, "name") ?? null;
      await withConfig(io, stringOption(values, "config"), { discover: true }, async (config) => {
        const { users, tokens } = requireStores(config, io.cwd);
        const user = await users.findByUsername(username);
        if (user === null) throw new CommandError(`Cannot create the Token: user ${username} does not exist`);
        if (values.reset === true) await revokeAllTokens(tokens, user.id);
        const { token } = await new TokenAuthentication({ tokens, users }).issue(user.id, { ttl, name });
        io.stdout.write(`Generated token ${token} for user ${username}\n`);
      });
    },
  },
  "revoke-tokens": {
    options: { config: CONFIG_OPTION, help: HELP_OPTION },
    positionals: ["username"],
    async run({ values, positionals: [username = ""] }, io) {
      await withConfig(io, stringOption(values, "config"), { discover: true }, async (config) => {
        const { users, tokens } = requireStores(config, io.cwd);
        const user = await users.findByUsername(username);
        if (user === null) throw new CommandError(`Cannot revoke tokens: user ${username} does not exist`);
        const count = await revokeAllTokens(tokens, user.id);
        io.stdout.write(`Revoked ${count} token(s) for user ${username}\n`);
      });
    },
  },
  "hash-password": {
    options: {
      algorithm: { type: "string" },
      iterations: { type: "string" },
      "allow-empty": { type: "boolean" },
      config: CONFIG_OPTION,
      help: HELP_OPTION,
    },
    positionals: [],
    async run({ values }, io) {
      const flags: PasswordOptions = {};
      const algorithm = stringOption(values, "algorithm");
      if (algorithm !== undefined) {
        if (!ALGORITHMS.includes(algorithm as PasswordAlgorithm)) {
          throw new UsageError("--algorithm must be pbkdf2_sha256, argon2 or scrypt", "hash-password");
        }
        flags.algorithm = algorithm as PasswordAlgorithm;
      }
      const iterations = stringOption(values, "iterations");
      if (iterations !== undefined) {
        if (!/^[1-9][0-9]*$/.test(iterations)) {
          throw new UsageError("--iterations must be a positive whole number", "hash-password");
        }
        // The hasher's own bound, checked here so a wrong command line is a usage error, before the
        // password is read.
        if (Number(iterations) > MAX_ITERATIONS) {
          throw new UsageError(`--iterations must be at most ${MAX_ITERATIONS}`, "hash-password");
        }
        flags.iterations = Number(iterations);
      }
      // Needs no configuration: only an explicit --config is loaded, never ./portcullis.config.js, so
      // hashing a password never runs the code (and opens the connections) of whatever folder it is in.
      await withConfig(io, stringOption(values, "config"), { discover: false }, async (config) => {
        const options: PasswordOptions = { ...config?.passwords, ...flags };
        if (flags.iterations !== undefined && (options.algorithm ?? "pbkdf2_sha256") !== "pbkdf2_sha256") {
          throw new UsageError(
            `--iterations applies to pbkdf2_sha256, not ${options.algorithm}`,
            "hash-password",
          );
        }
        const password = await readPassword(io.stdin, io.stderr);
        if (password === "" && values["allow-empty"] !== true) {
          throw new CommandError("no password on stdin (pass --allow-empty to hash the empty password)");
        }
        io.stdout.write(`${await hashPassword(password, options)}\n`);
      });
    },
  },
};

/**
 * Runs one `portcullis` command line and returns the exit code: 0 done, 1 error (`Error: <message>` on
 * stderr), 2 usage error (the message and the usage on stderr). Never throws.
 *
 * @param argv - the arguments after the program name (`process.argv.slice(2)`)
 * @param io - stdin, stdout, stderr, the working folder and the environment
 * @returns the exit code
 * @example
 * ```ts
 * const code = await main(["create-token", "ada", "--ttl", "30d"], io);
 * ```
 * @see https://github.com/encode/django-rest-framework/blob/master/rest_framework/authtoken/management/commands/drf_create_token.py
 */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === "--help" || name === "-h") {
      io.stdout.write(HELP.portcullis!);
      return 0;
    }
    if (name === "--version") {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (name === undefined) throw new UsageError("no command given", null);
    if (name.startsWith("-")) throw new UsageError(`unknown option '${name}'`, null);
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) throw new UsageError(`unknown command '${name}'`, null);
    const args = parseCommandArgs(name, rest, command.options, command.positionals);
    if (args.help) {
      io.stdout.write(HELP[name]!);
      return 0;
    }
    await command.run(args, io);
    return 0;
  } catch (error) {
    return report(error, io);
  }
}

/** `--ttl`: bare digits are seconds, otherwise a duration string ("30d"). */
function parseTTL(value: string | undefined): number | null {
  if (value === undefined) return null;
  let seconds: number;
  try {
    seconds = parseDuration(/^[0-9]+$/.test(value) ? Number(value) : (value as Duration), "--ttl");
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message, "create-token");
    throw error;
  }
  if (seconds === 0)
    throw new UsageError(
      "--ttl must be more than 0 (omit it for a token that never expires)",
      "create-token",
    );
  return seconds;
}

/**
 * Loads the config when there is one (`--config`, or with `discover` the working folder's), runs `body`,
 * then calls the config's `close` whatever happened. An error from `close` is reported only when `body`
 * succeeded.
 */
async function withConfig(
  io: CommandIO,
  explicit: string | undefined,
  { discover }: { discover: boolean },
  body: (config: LoadedConfig | null) => Promise<void>,
): Promise<void> {
  const path = explicit === undefined && !discover ? null : findConfig(io.cwd, explicit);
  const config = path === null ? null : await loadConfig(path);
  let failure: { error: unknown } | null = null;
  try {
    await body(config);
  } catch (error) {
    failure = { error };
  }
  try {
    await config?.close?.();
  } catch (error) {
    failure ??= { error };
  }
  if (failure !== null) throw failure.error;
}

function report(error: unknown, io: CommandIO): number {
  if (error instanceof UsageError) {
    const command = error.command ?? "portcullis";
    const more = error.command === null ? "portcullis --help" : `portcullis ${error.command} --help`;
    io.stderr.write(`Error: ${error.message}\n${USAGE[command]}\nRun '${more}' for more.\n`);
    return 2;
  }
  io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  if (io.env.PORTCULLIS_DEBUG === "1") {
    for (let e: unknown = error; e !== undefined; e = e instanceof Error ? e.cause : undefined) {
      io.stderr.write(`${e === error ? "" : "Caused by: "}${e instanceof Error ? e.stack : String(e)}\n`);
    }
  }
  return 1;
}
