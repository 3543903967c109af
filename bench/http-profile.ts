/**
 * Where a server of the HTTP comparison spends its time under load: `tsx bench/http-profile.ts
 * [kind ...] [--seconds N] [--interval µs] [--save dir]` (kinds from bench/http-names.ts; default the two
 * portcullis servers and their baselines). Each server runs in its own process as in `npm run bench`, is
 * checked and warmed up, then V8's sampling profiler (the one `node --cpu-prof` starts) runs in the server
 * for one autocannon load of N seconds. Not part of `npm run bench`.
 *
 * Printed per server: CPU time per request from the samples, split into GC, idle, "(program)" (native
 * work outside JavaScript: the event loop, sockets), and JavaScript by owner (portcullis src/, each
 * package, node: internals); then, for portcullis, the time of every sample whose stack passes through
 * src/ (and not back in the framework, as after portcullis calls `next()`), charged to the deepest src/
 * function on it (so node:crypto's HMAC counts against the portcullis function that called it), in ns
 * per request. A function V8 inlined is charged to the function it was inlined into. The profiler's own
 * cost slows the server by 10-30%; the shares hold.
 */
import { writeFileSync } from "node:fs";
import type { Profiler } from "node:inspector";

type CallFrame = Profiler.ProfileNode["callFrame"];

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkServer, HTTP_OPTIONS, httpFixture, load, startServer } from "./http.js";
import { HTTP_NAMES, type ServerKind } from "./http-names.js";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));
const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Who owns a frame: portcullis src/, a package, Node's internals, or V8's pseudo-frames. */
function owner(frame: CallFrame): string {
  const url = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url;
  if (url.startsWith(SRC)) return "portcullis src/";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node: internals (JS)";
  if (url === "")
    return frame.functionName.startsWith("(") ? frame.functionName : "native (V8 builtins, C++)";
  return url.startsWith(ROOT) ? url.slice(ROOT.length) : url;
}

/** What portcullis's own work runs in below its frames: Node, V8, and its own dependencies. */
const PORTCULLIS_CALLEES =
  /^(node: internals \(JS\)|native \(V8 builtins, C\+\+\)|\(.*\)|jose|@noble\/hashes)$/;

function location(frame: CallFrame): string {
  const url = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url;
  const file = url.startsWith(ROOT) ? url.slice(ROOT.length) : url;
  return `${file}: ${frame.functionName || "(anonymous)"}`;
}

/** The profile's samples with their durations and stacks (leaf first). */
function samples(profile: Profiler.Profile): { micros: number; stack: CallFrame[] }[] {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const ids = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  return ids.map((id, i) => {
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = nodes.get(at)!;
      if (node.callFrame.functionName !== "(root)") stack.push(node.callFrame);
    }
    // A sample lasts until the next one.
    return { micros: deltas[i + 1] ?? deltas[i] ?? 0, stack };
  });
}

function table(title: string, entries: Map<string, number>, requests: number, limit = 25): string {
  const total = [...entries.values()].reduce((a, b) => a + b, 0);
  const lines = [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, micros]) => `  ${((micros * 1000) / requests).toFixed(0).padStart(7)} ns/req  ${name}`);
  return [`${title} (${((total * 1000) / requests).toFixed(0)} ns/req in all)`, ...lines].join("\n");
}

function add(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

/** The report for one profiled load. */
export function summarizeProfile(profile: Profiler.Profile, requests: number): string {
  const all = samples(profile);
  const byOwner = new Map<string, number>();
  const bySrcFunction = new Map<string, number>();
  const bySrcSelf = new Map<string, number>();
  const underSrc = new Map<string, number>();
  let total = 0;
  for (const { micros, stack } of all) {
    total += micros;
    const leaf = stack[0];
    add(byOwner, leaf === undefined ? "(none)" : owner(leaf), micros);
    // The deepest src/ frame, unless the framework runs above it: portcullis's callbacks call `next()`,
    // and the route's handler and the response then run on portcullis's stack without being its work.
    const at = stack.findIndex((frame) => owner(frame) === "portcullis src/");
    if (at === -1 || stack.slice(0, at).some((frame) => !PORTCULLIS_CALLEES.test(owner(frame)))) continue;
    const deepest = stack[at]!;
    add(bySrcFunction, location(deepest), micros);
    if (leaf === deepest) add(bySrcSelf, location(deepest), micros);
    else
      add(
        underSrc,
        `${location(deepest)} → ${leaf ? `${owner(leaf)}: ${leaf.functionName || "(anonymous)"}` : "?"}`,
        micros,
      );
  }
  return [
    `${requests.toLocaleString("en-US")} requests, ${(total / 1e6).toFixed(2)} s sampled, ${((total * 1000) / requests).toFixed(0)} ns/req`,
    table("By owner of the running frame", byOwner, requests),
    table("Samples under portcullis src/, charged to the deepest src/ function", bySrcFunction, requests),
    table("  of which in the function itself", bySrcSelf, requests, 15),
    table("  of which in what it called (deepest src/ function → running frame)", underSrc, requests, 25),
  ].join("\n\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const at = args.indexOf(name);
    if (at === -1) return fallback;
    const [value] = args.splice(at, 2).slice(1);
    return value ?? fallback;
  };
  const seconds = Number(option("--seconds", "10"));
  const interval = Number(option("--interval", "100"));
  const save = option("--save", "");
  const kinds = (
    args.length > 0
      ? args
      : ["fastify-portcullis", "fastify-bare", "express-portcullis", "express-passport-fair"]
  ) as ServerKind[];
  for (const kind of kinds) if (!Object.hasOwn(HTTP_NAMES, kind)) throw new Error(`unknown kind ${kind}`);
  const fixture = await httpFixture();
  for (const kind of kinds) {
    const server = await startServer(kind, fixture, HTTP_OPTIONS.cacheSize);
    try {
      await checkServer(server, fixture);
      await load(server, fixture, 3, HTTP_OPTIONS.connections);
      await server.ask({ type: "profile-start", intervalMicros: interval }, "profile-started");
      const result = await load(server, fixture, seconds, HTTP_OPTIONS.connections);
      const { profile } = await server.ask({ type: "profile-stop" }, "profile");
      if (save !== "") writeFileSync(join(save, `${kind}.cpuprofile`), JSON.stringify(profile));
      console.log(`\n## ${HTTP_NAMES[kind]}\n`);
      console.log(
        `${result.requestsPerSecond.toFixed(0)} req/s under the profiler, server ${result.serverMicrosPerRequest.toFixed(1)} µs CPU/req` +
          ` (${(result.serverCore * 100).toFixed(0)}% of a core), autocannon ${(result.loaderCore * 100).toFixed(0)}% of a core\n`,
      );
      console.log(summarizeProfile(profile, result.requests));
    } finally {
      await server.stop();
    }
  }
}

await main();
