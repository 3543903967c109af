/**
 * Instructions per request of an HTTP server of the comparison, counted by valgrind's callgrind: `tsx
 * bench/http-callgrind.ts [kind ...] [--requests N] [--warmup N]` (kinds from bench/http-names.ts; default
 * `fastify-bare` and `fastify-portcullis-cache`). Not part of `npm run bench`, and needs valgrind.
 *
 * Each server runs under callgrind (`node --perf-basic-prof`, so JIT code is named from
 * `/tmp/perf-<pid>.map`) with instrumentation off; autocannon warms it up with `--warmup` requests, then
 * callgrind counts the next `--requests`. Instruction counts do not move with the machine's load, so two
 * builds, or two kinds, compare to a few tens of instructions a request where requests per second on this
 * shared machine wander by several percent. Instructions are not time: code and data cold in the CPU's
 * caches cost more than their count (bench/README.md, ninth session). V8's compiler and heap (GC), whose
 * work follows the clock more than the requests (valgrind runs the server ~50 times slower), are reported
 * apart and left out of the comparison.
 *
 * Printed: each kind's instructions per request, then, against the first kind, the functions whose count
 * differs most (JavaScript as `JS:*name file:line:column`, `*` for optimized code).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { HTTP_OPTIONS, HTTP_TOKENS, type HttpFixture, httpFixture } from "./http.js";
import { HTTP_NAMES, type ServerKind } from "./http-names.js";
import type { ServerConfig, ServerMessage } from "./http-server.js";

const SERVER = fileURLToPath(new URL("./http-server.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** V8's optimizing compiler and its heap (GC), whose work follows the clock more than the requests. */
const BACKGROUND =
  /v8::internal::(compiler|Zone|maglev|Heap|Scavenger|MarkCompact|Concurrent|Sweeper)|memset/;

/** Instructions per function over the counted requests. */
type Counts = Map<string, number>;

function waitFor<T extends ServerMessage["type"]>(child: ChildProcess, type: T): Promise<ServerMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ServerMessage) => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before answering ${type}`)));
  });
}

/** Runs one server under callgrind and answers the counts of `requests` requests after `warmup`. */
async function count(
  kind: ServerKind,
  fixture: HttpFixture,
  warmup: number,
  requests: number,
): Promise<Counts> {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-callgrind-"));
  const out = join(dir, "callgrind.out");
  const child = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      "--instr-atstart=no",
      "--smc-check=all-non-file",
      `--callgrind-out-file=${out}`,
    ].concat([process.execPath, "--perf-basic-prof", "--import", import.meta.resolve("tsx"), SERVER, kind]),
    // The working directory only takes V8's log files.
    { cwd: dir, stdio: ["ignore", "inherit", "pipe", "ipc"] },
  );
  let errors = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    errors += chunk.toString();
  });
  try {
    const listening = waitFor(child, "listening");
    const config: ServerConfig = {
      type: "config",
      secret: fixture.secret,
      users: HTTP_TOKENS,
      accessTokenLifetime: "1h",
      cacheSize: HTTP_OPTIONS.cacheSize,
    };
    child.send(config);
    const { port } = (await listening) as Extract<ServerMessage, { type: "listening" }>;
    const run = async (amount: number) => {
      const result = await autocannon({
        url: `http://127.0.0.1:${port}`,
        connections: 10,
        amount,
        requests: fixture.requests,
      });
      if (result["2xx"] !== amount)
        throw new Error(`${kind}: ${result["2xx"]} of ${amount} requests answered 2xx`);
    };
    await run(warmup);
    const control = (...args: string[]) =>
      execFileSync("callgrind_control", [...args, String(child.pid)], { stdio: "pipe" });
    control("-i", "on");
    await run(requests);
    control("-i", "off");
    control("-d");
    return annotate(`${out}.1`, child.pid!);
  } catch (error) {
    throw new Error(`${kind} under callgrind: ${(error as Error).message}\n${errors.slice(-2000)}`);
  } finally {
    child.kill();
    await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(null)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Self instructions by function, JIT code named from the process's perf map. */
function annotate(file: string, pid: number): Counts {
  const map = `/tmp/perf-${pid}.map`;
  const code = readFileSync(map, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [start, size, ...name] = line.split(" ");
      return {
        start: Number.parseInt(start!, 16),
        end: Number.parseInt(start!, 16) + Number.parseInt(size!, 16),
        name: name.join(" "),
      };
    })
    .sort((a, b) => a.start - b.start);
  rmSync(map, { force: true });
  const named = (address: number) => {
    // The last entry starting at or below the address (code can be moved; the later entry wins).
    let low = 0;
    let high = code.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (code[mid]!.start <= address) low = mid;
      else high = mid - 1;
    }
    const entry = code[low];
    return entry !== undefined && entry.start <= address && address < entry.end
      ? entry.name
      : "JIT code, unnamed";
  };
  const counts: Counts = new Map();
  const text = execFileSync("callgrind_annotate", ["--threshold=100", file], {
    maxBuffer: 1 << 28,
  }).toString();
  for (const line of text.split("\n")) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!match || match[2]!.includes("PROGRAM TOTALS")) continue;
    const jit = /^\?\?\?:0x([0-9a-f]+)/.exec(match[2]!);
    const name = (jit ? named(Number.parseInt(jit[1]!, 16)) : match[2]!)
      .replace(/ \[\/[^\]]*\]$/, "")
      .replace(`file://${ROOT}`, "")
      .replace(ROOT, "");
    counts.set(name, (counts.get(name) ?? 0) + Number(match[1]!.replaceAll(",", "")));
  }
  return counts;
}

function total(counts: Counts, background: boolean): number {
  let sum = 0;
  for (const [name, n] of counts) if (BACKGROUND.test(name) === background) sum += n;
  return sum;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    if (at === -1) return fallback;
    return Number(args.splice(at, 2)[1]);
  };
  const requests = option("--requests", 5000);
  const warmup = option("--warmup", 40_000);
  const kinds = (args.length > 0 ? args : ["fastify-bare", "fastify-portcullis-cache"]) as ServerKind[];
  for (const kind of kinds) if (!Object.hasOwn(HTTP_NAMES, kind)) throw new Error(`unknown kind ${kind}`);
  const fixture = await httpFixture();
  const results: [ServerKind, Counts][] = [];
  for (const kind of kinds) {
    const counts = await count(kind, fixture, warmup, requests);
    results.push([kind, counts]);
    const own = total(counts, false) / requests;
    const background = total(counts, true) / requests;
    console.log(
      `${HTTP_NAMES[kind]}: ${own.toFixed(0)} instructions a request (+${background.toFixed(0)} in V8's compiler and heap)`,
    );
  }
  const [[firstKind, first]] = results as [[ServerKind, Counts]];
  for (const [kind, counts] of results.slice(1)) {
    const diff = new Map<string, number>();
    for (const name of new Set([...first.keys(), ...counts.keys()])) {
      if (!BACKGROUND.test(name))
        diff.set(name, ((counts.get(name) ?? 0) - (first.get(name) ?? 0)) / requests);
    }
    const sum = [...diff.values()].reduce((a, b) => a + b, 0);
    console.log(
      `\n${kind} - ${firstKind}: ${sum >= 0 ? "+" : ""}${sum.toFixed(0)} instructions a request; by function:`,
    );
    for (const [name, n] of [...diff].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1])).slice(0, 25)) {
      console.log(`  ${(n >= 0 ? "+" : "") + n.toFixed(0).padStart(6)}  ${name.slice(0, 140)}`);
    }
  }
}

await main();
