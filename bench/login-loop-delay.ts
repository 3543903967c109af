/**
 * Event-loop delay while N argon2 logins run at once (issue 17.16): portcullis `BasicAuthentication`
 * (argon2 in a worker on Node < 24.7, node:crypto.argon2 above) against the same logins hashed on the
 * event loop with @noble/hashes' `argon2idAsync`, which is what portcullis did before. Not part of
 * `npm run bench`: `tsx bench/login-loop-delay.ts [--logins 4] [--rounds 5]`.
 *
 * Each round runs both sides, alternating which goes first, with `monitorEventLoopDelay({ resolution: 1 })`
 * enabled around the logins alone; the table gives the median over rounds of each round's p50, p99 and max
 * (a 1 ms timer's delay, ms) and of the wall time for all N logins.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { argon2idAsync } from "@noble/hashes/argon2.js";
import { BasicAuthentication, hashPassword, MemoryUserStore } from "../src/index.js";
import { basicAuthHeader, makeRequest } from "../src/testing/index.js";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const LOGINS = option("logins", 4);
const ROUNDS = option("rounds", 5);
const PASSWORDS = { algorithm: "argon2" } as const; // argon2id m=19456 KiB, t=2, p=1
const encoder = new TextEncoder();

interface Round {
  p50: number;
  p99: number;
  max: number;
  wall: number;
}

const users = new MemoryUserStore();
for (let i = 0; i < LOGINS; i++) {
  await users.create({ username: `user${i}`, passwordHash: await hashPassword("right", PASSWORDS) });
}
const basic = new BasicAuthentication({ users, passwords: PASSWORDS });
// Half the logins with a wrong password for a real user, half for made-up users (the dummy hash).
const names = Array.from({ length: LOGINS }, (_, i) => (i % 2 === 0 ? `user${i}` : `nobody${i}`));

async function portcullis(): Promise<void> {
  await Promise.all(
    names.map((name) =>
      basic
        .authenticate(makeRequest({ headers: { authorization: basicAuthHeader(name, "wrong") } }))
        .catch(() => null),
    ),
  );
}

async function inThread(): Promise<void> {
  const salt = encoder.encode("Zp4Ue9GxJ3sA6fKt0mQwRb");
  await Promise.all(
    names.map(() => argon2idAsync(encoder.encode("wrong"), salt, { t: 2, m: 19_456, p: 1, dkLen: 32 })),
  );
}

async function measure(run: () => Promise<void>): Promise<Round> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  await run();
  const wall = performance.now() - started;
  histogram.disable();
  const ms = (ns: number) => ns / 1e6;
  return {
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    wall,
  };
}

const sides = { "portcullis (worker)": portcullis, "in-thread (@noble/hashes argon2idAsync)": inThread };
const results = new Map<string, Round[]>(Object.keys(sides).map((name) => [name, []]));
await portcullis(); // warm-up: starts the workers and loads their code
await inThread();
for (let round = 0; round < ROUNDS; round++) {
  const order = Object.entries(sides);
  if (round % 2 === 1) order.reverse();
  for (const [name, run] of order) results.get(name)!.push(await measure(run));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString("en-US"));
console.log(
  `${LOGINS} concurrent argon2id logins (m=19456 KiB, t=2, p=1), ${ROUNDS} rounds, Node ${process.versions.node}`,
);
console.log(
  "\n| side | loop delay p50 (ms) | p99 (ms) | max (ms) | wall, all logins (ms) |\n|---|---:|---:|---:|---:|",
);
for (const [name, rounds] of results) {
  const col = (key: keyof Round) => fmt(median(rounds.map((r) => r[key])));
  console.log(`| ${name} | ${col("p50")} | ${col("p99")} | ${col("max")} | ${col("wall")} |`);
}
