/**
 * The machine, runtime and package versions a result was measured with.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";

/** Where and with what the benchmark ran. */
export interface Environment {
  /** ISO 8601 timestamp of the run. */
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  openssl: string;
  /** Package name → version, portcullis first. */
  packages: Record<string, string>;
  /** The commit measured, and whether src/ had uncommitted changes. */
  source: string;
}

const PEERS = ["passport", "passport-http", "mitata"] as const;

function versionOf(packageJson: string | URL): string {
  const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version?: unknown };
  return typeof version === "string" ? version : "unknown";
}

// src/ changes under other people's hands: say which code the numbers belong to.
function describeSource(): string {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: new URL("..", import.meta.url), encoding: "utf8" }).trim();
  try {
    const changed = git("status", "--porcelain", "--", "src").split("\n").filter(Boolean).length;
    const state = changed === 0 ? "src/ clean" : `${changed} uncommitted change(s) under src/`;
    return `git ${git("rev-parse", "--short", "HEAD")}, ${state}`;
  } catch {
    return "unknown (git not available)";
  }
}

/** Reads the machine, Node, OpenSSL, and the versions of portcullis and the peers from their package.json. */
export function describeEnvironment(): Environment {
  const require = createRequire(import.meta.url);
  const packages: Record<string, string> = {
    portcullis: versionOf(new URL("../package.json", import.meta.url)),
  };
  for (const name of PEERS) packages[name] = versionOf(require.resolve(`${name}/package.json`));
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: os.totalmem() / 2 ** 30,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    openssl: process.versions.openssl ?? "unknown",
    packages,
    source: describeSource(),
  };
}
