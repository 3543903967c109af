#!/usr/bin/env node
/**
 * The `portcullis` command: parses nothing itself, hands `process` to `main` and exits with its code.
 */
import process from "node:process";
import { main } from "./commands.js";

process.exitCode = await main(process.argv.slice(2), {
  // A getter: only hash-password touches stdin, so the others never open it.
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
});
