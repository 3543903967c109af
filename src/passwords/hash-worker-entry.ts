/**
 * What runs inside a hashing worker. Not imported by the library: scripts/build-hash-worker.mjs bundles it,
 * with the @noble/hashes code it needs, into one classic script, held as text in hash-worker-source.ts.
 * It answers `{ id, key }` or `{ id, error }` to each {@link HashJob}, on node:worker_threads' parentPort
 * (Node, Bun, Deno) or a Web Worker's global scope.
 * @internal
 */
import { argon2d, argon2i, argon2id } from "@noble/hashes/argon2.js";
import { scrypt } from "@noble/hashes/scrypt.js";
import type { HashJob, HashReply } from "./hash-job.js";

interface Port {
  postMessage(message: HashReply): void;
}

interface NodeParentPort extends Port {
  on(event: "message", listener: (message: { id: number; job: HashJob }) => void): void;
}

// The synchronous functions: a worker has no event loop of anyone else's to keep free.
function run(job: HashJob): Uint8Array {
  if (job.kind === "scrypt") {
    const { password, salt, N, r, p, dkLen, maxmem } = job;
    return scrypt(password, salt, { N, r, p, dkLen, maxmem });
  }
  const { type, password, salt, t, m, p, version, dkLen } = job;
  const derive = type === "argon2id" ? argon2id : type === "argon2i" ? argon2i : argon2d;
  return derive(password, salt, { t, m, p, version, dkLen, maxmem: m * 1024 });
}

function answer(port: Port, id: number, job: HashJob): void {
  try {
    port.postMessage({ id, key: run(job) });
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
}

const scope = globalThis as unknown as {
  process?: { getBuiltinModule?: (id: string) => { parentPort?: NodeParentPort | null } | undefined };
  onmessage: ((event: { data: { id: number; job: HashJob } }) => void) | null;
} & Port;
const parentPort = scope.process?.getBuiltinModule?.("node:worker_threads")?.parentPort;
if (parentPort) {
  parentPort.on("message", ({ id, job }) => answer(parentPort, id, job));
} else {
  scope.onmessage = ({ data: { id, job } }) => answer(scope, id, job);
}
