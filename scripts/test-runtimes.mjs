#!/usr/bin/env node
// `npm run test:runtimes` (run by .ci/run): the runtime matrix of issue 6.
//
// - The suites below pass on Node 20, 22 and 24, on Bun and on Deno, each running vitest itself
//   (`<runtime> node_modules/vitest/vitest.mjs run`), so the test workers run on that runtime too.
//   Node majors other than the one running this script are installed from npm (node-<platform>-<arch>@<major>)
//   into .rt/node<major>/ (git-ignored) when missing; Bun and Deno are the `bun` and `deno` devDependencies.
// - tests/runtimes/probe.runtime.ts runs with the suites and reports which runtime the workers ran on and
//   which crypto path src/ took there (node:crypto through process.getBuiltinModule, or portable).
// - tests/runtimes/workerd.mjs bundles a worker with esbuild and runs Basic, Token and JWT authentication
//   in workerd through miniflare.
//
// One summary line per runtime; exit 1 when any runtime fails, or cannot be installed or started (never
// skipped). Logs and reports: .rt/logs/<runtime>.log, .rt/results/.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);

/** The suites every runtime runs: issue 6's core, scheme and password suites, and the rest that are portable. */
const SUITES = [
  "tests/core",
  "tests/schemes",
  "tests/passwords",
  "tests/sessions",
  "tests/jwt",
  "tests/endpoints/jwt.test.ts", // simplejwt's views, which moved from tests/jwt to endpoints/
  "tests/tokens",
  "tests/throttling",
];

/**
 * Files of SUITES left out, each with its reason. None: every file passes on every runtime (none spawns
 * a Node process or reads Node-only internals; tests/passwords/runtimes.test.ts mocks node:crypto's
 * presence and works on Bun and Deno too).
 * @type {{ file: string, reason: string }[]}
 */
const EXCLUDE = [];

const PROBE = "tests/runtimes/probe.runtime.ts";
const VITEST = "node_modules/vitest/vitest.mjs";
const NODE_MAJORS = [20, 22, 24];
/** Per runtime, install excluded; the whole matrix takes about 80 s here. */
const TIMEOUT_MS = 180_000;

mkdirSync(".rt/logs", { recursive: true });
mkdirSync(".rt/results", { recursive: true });

/** A runtime that cannot be installed or started: the run fails. */
class Unavailable extends Error {}

const currentMajor = Number(process.versions.node.split(".")[0]);

/** The node binary for `major`: this one, or node-<platform>-<arch>@major from npm in .rt/node<major>. */
function nodeBinary(major) {
  if (major === currentMajor) return { bin: process.execPath, installMs: 0 };
  if (process.platform !== "linux" && process.platform !== "darwin") {
    throw new Unavailable(`no npm build of Node ${major} for ${process.platform} is wired here`);
  }
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = `.rt/node${major}`;
  const bin = `${root}${prefix}/node_modules/${pkg}/bin/node`;
  let installMs = 0;
  if (!existsSync(bin)) {
    const start = performance.now();
    const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ["npm", []];
    const args = [...npm[1], "install", "--prefix", prefix, "--no-audit", "--no-fund", `${pkg}@${major}`];
    const result = spawnSync(npm[0], args, { encoding: "utf8", timeout: 120_000 });
    installMs = performance.now() - start;
    if (result.status !== 0 || !existsSync(bin)) {
      const output = `${result.error ?? ""}${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
      throw new Unavailable(`npm install ${pkg}@${major} failed:\n${output}`);
    }
    console.log(`  installed ${pkg}@${major} into ${prefix} (${seconds(installMs)})`);
  }
  return { bin, installMs };
}

/** A devDependency's binary from node_modules/.bin, checked to start (`--version`). */
function devBinary(name, env) {
  const bin = `${root}node_modules/.bin/${name}`;
  const hint = `${name} is a devDependency: run npm ci (without --ignore-scripts, which leaves a stub binary)`;
  if (!existsSync(bin)) throw new Unavailable(`${bin} is missing. ${hint}`);
  const result = spawnSync(bin, ["--version"], { encoding: "utf8", env, timeout: 30_000 });
  if (result.status !== 0) {
    const output = `${result.error ?? ""}${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
    throw new Unavailable(`\`${name} --version\` failed. ${hint}\n${output}`);
  }
  return bin;
}

const childEnv = { ...process.env, NO_COLOR: "1" };
delete childEnv.FORCE_COLOR;
const denoEnv = { ...childEnv, DENO_NO_UPDATE_CHECK: "1" };

/**
 * The matrix. `resolve` finds or installs the runtime (throws Unavailable); `expect` is the runtime the
 * probe must report from inside the test workers.
 */
const RUNTIMES = [
  ...NODE_MAJORS.map((major) => ({
    name: `node${major}`,
    expect: { name: "node", major },
    resolve() {
      const { bin } = nodeBinary(major);
      return { command: bin, args: [VITEST], env: childEnv };
    },
  })),
  {
    name: "bun",
    expect: { name: "bun" },
    resolve: () => ({ command: devBinary("bun", childEnv), args: ["--bun", VITEST], env: childEnv }),
  },
  {
    name: "deno",
    expect: { name: "deno" },
    resolve: () => ({ command: devBinary("deno", denoEnv), args: ["run", "-A", VITEST], env: denoEnv }),
  },
];

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

let running = null;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (running) killGroup(running);
    process.exit(130);
  });
}

function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}

/** Runs a command with its output in `log`; resolves to { code, ms, timedOut }. */
function run(command, args, env, log) {
  const fd = openSync(log, "w");
  const start = performance.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout also ends the test workers it started.
    const child = spawn(command, args, { env, stdio: ["ignore", fd, fd], detached: true });
    running = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, TIMEOUT_MS);
    const done = (code) => {
      clearTimeout(timer);
      closeSync(fd);
      running = null;
      resolve({ code, ms: performance.now() - start, timedOut });
    };
    child.on("error", (error) => {
      console.log(`  ${command}: ${error.message}`);
      done(-1);
    });
    child.on("exit", (code, signal) => done(code ?? signal));
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

function tail(file, lines) {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

function indent(text) {
  return text.replace(/^/gm, "      ");
}

/** "node:crypto" when src/ reached it, with what still runs on the portable code; else "portable". */
function cryptoPath(probe) {
  if (!probe.nodeCrypto) return "portable (WebCrypto + @noble/hashes)";
  const portable = ["tokenDigest", "scrypt", "argon2"].filter((k) => probe[k] !== "node");
  const webcrypto = probe.jwtHS256 !== "node" || probe.jwtES256 !== "node" ? "; JWT on WebCrypto" : "";
  return `node:crypto via process.getBuiltinModule${portable.length ? ` (${portable.join(", ")} on @noble/hashes)` : ""}${webcrypto}`;
}

const rows = [];
function row(name, ok, text, details) {
  rows.push({ name, ok });
  console.log(`${ok ? "PASS" : "FAIL"} ${name.padEnd(8)} ${text}`);
  if (details) console.log(indent(details));
}

/** One vitest runtime: resolve or install, run the suites and the probe, check every report. */
async function vitestRow(runtime) {
  let resolved;
  try {
    resolved = runtime.resolve();
  } catch (error) {
    if (!(error instanceof Unavailable)) throw error;
    row(runtime.name, false, "cannot be installed or started", error.message);
    return;
  }
  const report = `.rt/results/${runtime.name}.json`;
  const probeFile = `.rt/results/${runtime.name}.probe.json`;
  const log = `.rt/logs/${runtime.name}.log`;
  rmSync(report, { force: true });
  rmSync(probeFile, { force: true });
  const args = [
    ...resolved.args,
    "run",
    "--config",
    "vitest.runtimes.config.ts",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...SUITES,
    PROBE,
    ...EXCLUDE.flatMap(({ file }) => ["--exclude", file]),
  ];
  const env = { ...resolved.env, PORTCULLIS_RT_PROBE: probeFile, PORTCULLIS_RT_EXPECT: runtime.expect.name };
  const { code, ms, timedOut } = await run(resolved.command, args, env, log);
  const results = readJson(report);
  const probe = readJson(probeFile);

  const problems = [];
  if (timedOut) problems.push(`timed out after ${seconds(TIMEOUT_MS)}`);
  if (code !== 0) problems.push(`exit code ${code}`);
  if (results === null) problems.push("no vitest JSON report");
  if (probe === null) problems.push("the runtime probe did not report");
  if (probe && probe.runtime.name !== runtime.expect.name) {
    problems.push(`the tests ran on ${probe.runtime.name}, not ${runtime.expect.name}`);
  }
  if (probe && runtime.expect.major && Number(probe.runtime.version.split(".")[0]) !== runtime.expect.major) {
    problems.push(`the tests ran on Node ${probe.runtime.version}, not Node ${runtime.expect.major}`);
  }
  // Node >= 20.16, Bun and Deno all have process.getBuiltinModule: src/core/crypto.ts relies on it there.
  if (probe && !probe.nodeCrypto) problems.push("src/ did not reach node:crypto (process.getBuiltinModule)");
  const files = results?.testResults ?? [];
  for (const suite of SUITES) {
    // A suite is a folder, or one file.
    if (!files.some((file) => file.name.includes(`/${suite}/`) || file.name.endsWith(`/${suite}`)))
      problems.push(`no test file ran from ${suite}`);
  }
  const failed = files.flatMap((file) =>
    file.assertionResults
      .filter((test) => test.status === "failed")
      .map(
        (test) => `${file.name.slice(root.length)} > ${test.fullName}\n  ${firstLine(test.failureMessages)}`,
      ),
  );
  if (results && (results.numFailedTests > 0 || results.numFailedTestSuites > 0 || !results.success)) {
    problems.push(`${results.numFailedTests} failed tests, ${results.numFailedTestSuites} failed files`);
  }

  const version = probe ? `${probe.runtime.name} ${probe.runtime.version}` : runtime.name;
  const counts = results
    ? `${results.numPassedTests}/${results.numTotalTests} tests passed in ${files.length} files` +
      (results.numPendingTests + results.numTodoTests > 0
        ? `, ${results.numPendingTests + results.numTodoTests} skipped`
        : "")
    : "no results";
  const crypto = probe ? cryptoPath(probe) : "crypto path unknown";
  const ok = problems.length === 0;
  const details = ok
    ? null
    : [
        ...problems,
        ...failed.slice(0, 20),
        failed.length > 20 ? `… and ${failed.length - 20} more` : null,
        failed.length === 0 ? `last lines of ${log}:\n${tail(log, 40)}` : `full log: ${log}`,
      ]
        .filter(Boolean)
        .join("\n");
  row(runtime.name, ok, `${version.padEnd(16)} ${counts}, ${seconds(ms)}; crypto: ${crypto}`, details);
}

function firstLine(messages) {
  return String(messages?.[0] ?? "").split("\n")[0];
}

/** The worker in workerd through miniflare (tests/runtimes/workerd.mjs, on this Node). */
async function workerdRow() {
  const report = ".rt/results/workerd.json";
  const log = ".rt/logs/workerd.log";
  rmSync(report, { force: true });
  const env = { ...childEnv, PORTCULLIS_RT_RESULT: report };
  const { code, ms, timedOut } = await run(process.execPath, ["tests/runtimes/workerd.mjs"], env, log);
  const result = readJson(report);
  const problems = [];
  if (timedOut) problems.push(`timed out after ${seconds(TIMEOUT_MS)}`);
  if (code !== 0) problems.push(`exit code ${code}`);
  if (result === null) problems.push("no report (could miniflare start workerd?)");
  const ok = problems.length === 0 && result.passed === result.total && result.total > 0;
  const version = result ? `workerd ${result.runtime.version}` : "workerd";
  const counts = result ? `${result.passed}/${result.total} checks passed` : "no results";
  const crypto =
    result?.nodeCrypto === false ? "portable (WebCrypto + @noble/hashes), no nodejs_compat" : "?";
  row(
    "workerd",
    ok,
    `${version.padEnd(16)} ${counts} (Basic, Token, JWT via miniflare), ${seconds(ms)}; crypto: ${crypto}`,
    ok ? null : [...problems, `last lines of ${log}:\n${tail(log, 60)}`].join("\n"),
  );
}

const started = performance.now();
console.log(
  `runtime matrix: ${SUITES.join(" ")}${EXCLUDE.length ? ` (excluded: ${EXCLUDE.map((e) => e.file).join(", ")})` : ""}`,
);
for (const runtime of RUNTIMES) await vitestRow(runtime);
await workerdRow();
const failed = rows.filter((r) => !r.ok).map((r) => r.name);
console.log(
  failed.length === 0
    ? `runtime matrix: all ${rows.length} runtimes passed in ${seconds(performance.now() - started)}`
    : `runtime matrix: FAILED on ${failed.join(", ")} (${seconds(performance.now() - started)})`,
);
process.exitCode = failed.length === 0 ? 0 : 1;
