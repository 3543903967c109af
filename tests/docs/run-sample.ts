/**
 * Runs a docs sample: bundled with esbuild (`portcullis/*` from src/, packages from node_modules), written
 * next to the sources and imported. What it takes from the text around it is put on `globalThis` first.
 */
import { rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, Server } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { ENTRY_POINTS, moduleText, ROOT, type Sample } from "./samples.js";

let count = 0;

/**
 * Imports the sample as a module, with `globals` defined for it.
 *
 * @returns the module's exports
 */
export async function runSample(
  sample: Sample,
  globals: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const result = await build({
    stdin: { contents: moduleText(sample), resolveDir: ROOT, loader: "ts", sourcefile: sample.id },
    bundle: true,
    write: false,
    platform: "node",
    format: "esm",
    packages: "external",
    alias: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, file]) => [name, `./${file}`])),
    logLevel: "silent",
  });
  const file = join(ROOT, `.docs-sample-run-${process.pid}-${++count}.mjs`);
  writeFileSync(file, result.outputFiles[0]!.text);
  Object.assign(globalThis, globals);
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Runs `start` with every `server.listen(port)` turned into a listen on 127.0.0.1 and an ephemeral port,
 * and gives back the servers it started.
 */
export async function capturingListen(start: () => Promise<unknown>): Promise<Server[]> {
  const started: Server[] = [];
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    started.push(this);
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    return (listen as (port: number, host: string, callback?: () => void) => Server).call(
      this,
      0,
      "127.0.0.1",
      callback,
    );
  } as typeof Server.prototype.listen;
  try {
    await start();
  } finally {
    Server.prototype.listen = listen;
  }
  await Promise.all(
    started.map((server) =>
      server.listening ? undefined : new Promise((resolve) => server.once("listening", resolve)),
    ),
  );
  return started;
}

/** `http://127.0.0.1:<port>` of a listening server. */
export function origin(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
