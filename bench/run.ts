/**
 * `npm run bench`: runner overhead, Basic against passport-http, Token against passport-http-bearer,
 * the token digest step, and pbkdf2_sha256 against node:crypto, in one run. Writes bench/RESULTS.md and prints a summary.
 */
import { writeFileSync } from "node:fs";
import { checkPortcullis, direct, runner, runnerNodeView } from "./auth.js";
import { describeEnvironment } from "./environment.js";
import { checkFloor, floor } from "./floor.js";
import { checkSameHash, idle, measureLoopDelay, nodeHash, portcullisHash } from "./hashing.js";
import { type Contender, interleavedCalls, interleavedRounds } from "./interleave.js";
import { passportAuthenticate, passportBasic } from "./passport.js";
import { type BenchResults, type Comparison, type Row, renderMarkdown, renderSummary } from "./report.js";
import { mapSummary } from "./stats.js";
import {
  checkTokenContenders,
  nodeCreateHashDigest,
  nodeDigest,
  passportBearer,
  portcullisDigest,
  portcullisToken,
} from "./token.js";

/** Interleaved rounds for the fast comparisons: ~20 ms batches, after 300 ms of warm-up each. */
const ROUNDS = { rounds: 100, batchMs: 20, warmupMs: 300 };
const HASH_ROUNDS = 9;
const LOOP_DELAY_REPEATS = 7;

const RUNNER_MAX_RATIO = 1.2;
const PASSPORT_MIN_RATIO = 3;
const HASH_MAX_RATIO = 1.15;
const BEARER_MIN_RATIO = 2;
const DIGEST_MIN_RATIO = 0.8;
const LOOP_DELAY_LIMIT_MS = 20;

const RESULTS_FILE = new URL("./RESULTS.md", import.meta.url);

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function row(rows: ReadonlyMap<string, Row["summary"]>, contender: Contender, name = contender.name): Row {
  return { name, summary: rows.get(contender.name)! };
}

async function runnerOverhead(): Promise<Comparison> {
  log(`1. runner overhead: ${ROUNDS.rounds} rounds`);
  const rows = await interleavedRounds([direct, runner], ROUNDS);
  return {
    title: "1. Runner overhead",
    unit: "ns/op",
    ratioLabel: "runner / direct",
    baseline: row(rows, direct),
    judged: [
      {
        ...row(rows, runner),
        target: `<= ${RUNNER_MAX_RATIO.toFixed(2)}x`,
        pass: (r) => r <= RUNNER_MAX_RATIO,
      },
    ],
    note: "Same `makeRequest` view with a valid Basic header; `verify` compares two strings.",
  };
}

async function basicVersusPassport(): Promise<Comparison> {
  log(`2. Basic vs passport-http: ${ROUNDS.rounds} rounds`);
  if ((await passportAuthenticate()) === false) throw new Error("passport-http did not authenticate");
  await checkFloor();
  const rows = await interleavedRounds([runner, runnerNodeView, passportBasic, floor], ROUNDS);
  const perSecond = (r: Row): Row => ({ name: r.name, summary: mapSummary(r.summary, (ns) => 1e9 / ns) });
  const target = {
    target: `>= ${PASSPORT_MIN_RATIO.toFixed(2)}x`,
    pass: (r: number) => r >= PASSPORT_MIN_RATIO,
  };
  return {
    title: "2. Basic: portcullis vs passport-http",
    unit: "auth/s",
    ratioLabel: "portcullis / passport",
    baseline: perSecond(row(rows, passportBasic)),
    judged: [
      {
        ...perSecond(row(rows, runner, "portcullis authenticate(req, [basic]), makeRequest view")),
        ...target,
      },
      { ...perSecond(row(rows, runnerNodeView)), ...target },
    ],
    context: [perSecond(row(rows, floor))],
    note: [
      "Completed authentications per second, one awaited at a time, same valid header and trivial verify on",
      "every side. passport: a fresh `new passport.Passport()` with `BasicStrategy`,",
      '`authenticate("basic", { session: false }, callback)(req, res, next)` per call, resolved from the callback;',
      "its `req` is a fresh `{ method, url, headers }` per call, as is the Node request view. The floor",
      "(bench/floor.ts) keeps portcullis's three awaits but parses with `indexOf` + `atob` and skips every",
      "RFC 7617/DRF check: not a contender, a bound on what the async layering alone allows.",
    ].join("\n"),
  };
}

async function tokenVersusBearer(): Promise<Comparison> {
  log(`4. Token vs passport-http-bearer: ${ROUNDS.rounds} rounds`);
  await checkTokenContenders();
  const rows = await interleavedRounds([portcullisToken, passportBearer], ROUNDS);
  const perSecond = (r: Row): Row => ({ name: r.name, summary: mapSummary(r.summary, (ns) => 1e9 / ns) });
  return {
    title: "4. Token: portcullis vs passport-http-bearer",
    unit: "auth/s",
    ratioLabel: "portcullis / passport",
    baseline: perSecond(row(rows, passportBearer)),
    judged: [
      {
        ...perSecond(row(rows, portcullisToken)),
        target: `>= ${BEARER_MIN_RATIO.toFixed(2)}x`,
        pass: (r) => r >= BEARER_MIN_RATIO,
      },
    ],
    note: [
      "Completed authentications per second, one awaited at a time. Both sides look the token up the same",
      "way: `tokenDigest`, `MemoryTokenStore.findByDigest`, `MemoryUserStore.findById`. portcullis also",
      "checks the header syntax and the expiry and tracks `lastUsedAt`; passport-http-bearer's verify is",
      "called with the token and answers through `done`.",
    ].join("\n"),
  };
}

async function digestStep(): Promise<Comparison> {
  log(`5. digest step: ${ROUNDS.rounds} rounds`);
  const rows = await interleavedRounds([portcullisDigest, nodeDigest, nodeCreateHashDigest], ROUNDS);
  const perSecond = (r: Row): Row => ({ name: r.name, summary: mapSummary(r.summary, (ns) => 1e11 / ns) });
  return {
    title: "5. Token digest step",
    unit: "lookups/s",
    ratioLabel: "portcullis / node",
    baseline: perSecond(row(rows, nodeDigest)),
    judged: [
      {
        ...perSecond(row(rows, portcullisDigest)),
        target: `>= ${DIGEST_MIN_RATIO.toFixed(2)}x`,
        pass: (r) => r >= DIGEST_MIN_RATIO,
      },
    ],
    context: [perSecond(row(rows, nodeCreateHashDigest))],
    note: "SHA-256 hex of a 47-character token and a `Map.get` of 10,000 digests, 100 distinct tokens per call.",
  };
}

async function hashing(): Promise<Comparison> {
  log(`3. pbkdf2_sha256: ${HASH_ROUNDS} rounds`);
  await checkSameHash();
  const rows = await interleavedCalls([portcullisHash, nodeHash], HASH_ROUNDS);
  return {
    title: "3a. pbkdf2_sha256, 600,000 iterations",
    unit: "ms/hash",
    ratioLabel: "portcullis / node",
    baseline: row(rows, nodeHash),
    judged: [
      {
        ...row(rows, portcullisHash),
        target: `<= ${HASH_MAX_RATIO.toFixed(2)}x`,
        pass: (r) => r <= HASH_MAX_RATIO,
      },
    ],
    note: "Same password, 22-character salt and count; both derive the same key (checked). One hash each per round, alternating which goes first.",
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const environment = describeEnvironment();
  await checkPortcullis();
  const comparisons = [
    await runnerOverhead(),
    await basicVersusPassport(),
    await tokenVersusBearer(),
    await digestStep(),
    await hashing(),
  ];
  log(`3b. event-loop delay: ${LOOP_DELAY_REPEATS} repeats`);
  const loopRows = await measureLoopDelay([idle, portcullisHash, nodeHash], LOOP_DELAY_REPEATS);
  const results: BenchResults = {
    environment,
    comparisons,
    loopDelay: { rows: loopRows, judged: portcullisHash.name, limitMs: LOOP_DELAY_LIMIT_MS },
    elapsedSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(RESULTS_FILE, renderMarkdown(results));
  console.log(renderSummary(results));
  log(`wrote ${RESULTS_FILE.pathname} in ${results.elapsedSeconds.toFixed(0)} s`);
}

await main();
