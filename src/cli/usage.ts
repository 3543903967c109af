/**
 * Help texts and the package version.
 */
import { readFileSync } from "node:fs";

const CONFIG_LINE = "  --config PATH      Config file (default: portcullis.config.js or .mjs in this folder)";
const HELP_LINE = "  -h, --help         Show this help";

/** One line of usage per command, shown after a usage error. */
export const USAGE: Readonly<Record<string, string>> = Object.freeze({
  portcullis: "Usage: portcullis <command> [options]   (create-token, revoke-tokens, hash-password)",
  "create-token":
    "Usage: portcullis create-token <username> [--reset] [--name NAME] [--ttl DURATION] [--config PATH]",
  "revoke-tokens": "Usage: portcullis revoke-tokens <username> [--config PATH]",
  "hash-password":
    "Usage: portcullis hash-password [--algorithm ALGORITHM] [--iterations N] [--allow-empty] [--config PATH]",
});

/** The full help of `portcullis --help` and of each command's `--help`. */
export const HELP: Readonly<Record<string, string>> = Object.freeze({
  portcullis: `Usage: portcullis <command> [options]

Manage portcullis tokens and passwords from the shell, like Django's manage.py.

Commands:
  create-token <username>    Issue a token for a user and print it (DRF's drf_create_token)
  revoke-tokens <username>   Revoke every token of a user
  hash-password              Hash a password read from stdin, in Django's format

Options:
  -h, --help                 Show this help; "portcullis <command> --help" shows a command's
  --version                  Print the portcullis version

The token commands' stores come from portcullis.config.js or portcullis.config.mjs in the
current folder, or from --config PATH; hash-password needs no config. Exit status: 0 done, 1 error, 2 bad command line.
`,
  "create-token": `${USAGE["create-token"]}

Issue a new token for <username> and print "Generated token <token> for user <username>".
The token is shown once: only its SHA-256 digest is stored. (DRF: manage.py drf_create_token)

Options:
  -r, --reset        Revoke all of the user's tokens first
  --name NAME        A label for the token, such as "CI" or "laptop"
  --ttl DURATION     Lifetime: seconds, or 30d, 12h, 5m, 2w (default: never expires)
${CONFIG_LINE}
${HELP_LINE}
`,
  "revoke-tokens": `${USAGE["revoke-tokens"]}

Revoke every token of <username> and print "Revoked <n> token(s) for user <username>".

Options:
${CONFIG_LINE}
${HELP_LINE}
`,
  "hash-password": `${USAGE["hash-password"]}

Read a password from stdin and print its hash in Django's encoded form, for a UserStore or
Django's auth_user.password. Piped input is read to the end, less one trailing newline
(echo -n secret | portcullis hash-password); at a terminal, the password is asked for and not shown.
Needs no config: a config file is read only when --config names one, and then its
"passwords" options are the defaults, which the flags override.

Options:
  --algorithm ALGORITHM  pbkdf2_sha256 (default), argon2 or scrypt
  --iterations N         PBKDF2 iterations (default 600000)
  --allow-empty          Hash an empty password instead of refusing it
  --config PATH          Config file whose "passwords" to use (default: none; the current
                         folder's portcullis.config.js is not read)
  -h, --help             Show this help
`,
});

/** The version in package.json (both `src/cli/` and the built `dist/cli/` sit two levels under the root). */
export function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const version = (pkg as { version?: unknown } | null)?.version;
  if (typeof version !== "string") throw new Error("package.json has no version.");
  return version;
}
