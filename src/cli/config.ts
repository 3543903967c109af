/**
 * Finding and loading portcullis.config.js / .mjs: the stores and password options the commands use.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { PasswordOptions, TokenStore, UserStore } from "../index.js";
import { CommandError } from "./errors.js";

/** The file names looked for in the working folder, first found wins. */
export const CONFIG_FILES: readonly string[] = ["portcullis.config.js", "portcullis.config.mjs"];

/**
 * What a config module exports: named exports, properties of the default export, or the object a default
 * (async) function returns.
 *
 * @example
 * ```js
 * // portcullis.config.mjs
 * export const users = new MemoryUserStore();
 * export const tokens = new MemoryTokenStore();
 * export const passwords = { algorithm: "argon2" };
 * export async function close() { await pool.end(); }
 * ```
 */
export interface CLIConfig {
  /** Where users are found by username. */
  users?: UserStore;
  /** Where tokens are issued and revoked. */
  tokens?: TokenStore;
  /** Defaults for `hash-password`. */
  passwords?: PasswordOptions;
  /** Called once before the command exits, so a connection pool can shut down. */
  close?: () => unknown;
}

/** A loaded config and where it came from. */
export interface LoadedConfig extends CLIConfig {
  /** The absolute path of the config file. */
  path: string;
}

/**
 * The absolute path of the config file to load: `--config PATH` (relative to `cwd`; a CommandError when
 * it is missing), else the first of {@link CONFIG_FILES} in `cwd`, else `null`.
 */
export function findConfig(cwd: string, explicit: string | undefined): string | null {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new CommandError(`config file ${path} does not exist`);
    return path;
  }
  for (const name of CONFIG_FILES) {
    const path = join(cwd, name);
    if (existsSync(path)) return path;
  }
  return null;
}

/**
 * Imports a config module (an absolute path) and checks the types of what it exports, not yet that
 * `users`/`tokens` exist: a CommandError when it cannot be imported, its default function throws, or an
 * export has the wrong type.
 */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  let exports: Record<string, unknown>;
  try {
    const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    let fallback = module.default;
    if (typeof fallback === "function") fallback = await fallback();
    exports = isObject(fallback) ? { ...pick(fallback), ...pick(module) } : pick(module);
  } catch (error) {
    throw new CommandError(`cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const { users, tokens, passwords, close } = exports;
  if (users !== undefined && !hasMethods(users, ["findByUsername"])) {
    throw new CommandError(`"users" in ${path} is not a UserStore (it has no findByUsername method)`);
  }
  if (tokens !== undefined && !hasMethods(tokens, ["save", "deleteForUser"])) {
    throw new CommandError(
      `"tokens" in ${path} is not a TokenStore (it has no save and deleteForUser methods)`,
    );
  }
  if (passwords !== undefined && !isObject(passwords)) {
    throw new CommandError(`"passwords" in ${path} must be an object of PasswordOptions`);
  }
  if (close !== undefined && typeof close !== "function") {
    throw new CommandError(`"close" in ${path} must be a function`);
  }
  return {
    path,
    users: users as UserStore | undefined,
    tokens: tokens as TokenStore | undefined,
    passwords: passwords as PasswordOptions | undefined,
    close: close as (() => unknown) | undefined,
  };
}

/** The stores a token command needs: a CommandError when there is no config (none in `cwd`) or it lacks one. */
export function requireStores(
  config: LoadedConfig | null,
  cwd: string,
): { users: UserStore; tokens: TokenStore } {
  if (config === null) {
    throw new CommandError(`no ${CONFIG_FILES.join(" or ")} in ${cwd} (use --config PATH)`);
  }
  const { users, tokens, path } = config;
  if (users === undefined) throw new CommandError(`${path} does not export "users" (a UserStore)`);
  if (tokens === undefined) throw new CommandError(`${path} does not export "tokens" (a TokenStore)`);
  return { users, tokens };
}

const KEYS = ["users", "tokens", "passwords", "close"] as const;

/** The config keys present on `source` (own or inherited, so a class instance works too), methods bound. */
function pick(source: object): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = (source as Record<string, unknown>)[key];
    // `close` may be a method (`export default { pool, close() { return this.pool.end(); } }`).
    if (value !== undefined) picked[key] = typeof value === "function" ? value.bind(source) : value;
  }
  return picked;
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return (
    isObject(value) && names.every((name) => typeof (value as Record<string, unknown>)[name] === "function")
  );
}
