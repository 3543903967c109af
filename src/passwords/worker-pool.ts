/**
 * A few hashing workers, so that argon2 and scrypt computed in JavaScript never hold the event loop:
 * node:worker_threads on Node, Bun and Deno (found through `process.getBuiltinModule`, never a static
 * import), else a Web Worker from a Blob URL. Where neither starts (Cloudflare Workers, a CSP without
 * `worker-src blob:`) the job runs on the calling thread, as before, in small async steps.
 * @internal
 */
import type { HashJob, HashReply } from "./hash-job.js";

interface WorkerHandle {
  post(message: { id: number; job: HashJob }): void;
  ref(): void;
  unref(): void;
}

interface Listeners {
  message(reply: HashReply): void;
  /** The worker died or never started. */
  failure(error: unknown): void;
}

type Spawn = (source: string, listeners: Listeners) => WorkerHandle;

interface Slot {
  handle: WorkerHandle;
  pending: Set<number>;
  answered: boolean;
}

interface Pending {
  job: HashJob;
  inThread: () => Promise<Uint8Array>;
  resolve(key: Uint8Array): void;
  reject(error: unknown): void;
  slot: Slot;
}

interface NodeWorker {
  on(event: "message", listener: (reply: HashReply) => void): void;
  on(event: "error" | "exit", listener: (error: unknown) => void): void;
  postMessage(message: unknown): void;
  ref?(): void;
  unref?(): void;
}

interface WebWorker {
  addEventListener(type: "message", listener: (event: { data: HashReply }) => void): void;
  addEventListener(type: "error" | "messageerror", listener: (event: unknown) => void): void;
  postMessage(message: unknown): void;
}

/** Where the pool runs jobs: `"node"` (worker_threads), `"web"` (Web Workers), or null (the calling thread). */
export type WorkerKind = "node" | "web" | null;

let kind: WorkerKind | undefined;
let spawn: Spawn | null = null;
let source: Promise<string> | null = null;
let broken = false;
let nextId = 0;
const slots: Slot[] = [];
const pending = new Map<number, Pending>();

/**
 * Runs `job` in a worker and resolves with the derived key; runs `inThread` instead where no worker can
 * start. A hash function's own error rejects (never read as a wrong password).
 */
export async function deriveInWorker(job: HashJob, inThread: () => Promise<Uint8Array>): Promise<Uint8Array> {
  if (workerKind() === null || broken) return inThread();
  source ??= import("./hash-worker-source.js").then((m) => m.HASH_WORKER_SOURCE);
  const code = await source;
  return new Promise<Uint8Array>((resolve, reject) => {
    const slot = pickSlot(code);
    if (slot === null) {
      inThread().then(resolve, reject);
      return;
    }
    const id = nextId++;
    pending.set(id, { job, inThread, resolve, reject, slot });
    if (slot.pending.size === 0) slot.handle.ref(); // a pending job keeps the process alive; an idle worker does not
    slot.pending.add(id);
    slot.handle.post({ id, job });
  });
}

/** Which kind of worker this runtime offers, looked up once. */
export function workerKind(): WorkerKind {
  if (kind === undefined) {
    spawn = nodeSpawn() ?? webSpawn();
    kind = spawn === null ? null : spawn === webSpawnFn ? "web" : "node";
  }
  return broken ? null : kind;
}

/** Workers started so far, for tests and the benchmark. */
export function workerCount(): number {
  return slots.length;
}

function pickSlot(code: string): Slot | null {
  const idle = slots.reduce<Slot | null>(
    (a, s) => (a === null || s.pending.size < a.pending.size ? s : a),
    null,
  );
  if (idle !== null && (idle.pending.size === 0 || slots.length >= poolSize())) return idle;
  try {
    const slot: Slot = { handle: null as unknown as WorkerHandle, pending: new Set(), answered: false };
    slot.handle = spawn!(code, {
      message: (reply) => settle(slot, reply),
      failure: (error) => fail(slot, error),
    });
    slot.handle.unref();
    slots.push(slot);
    return slot;
  } catch {
    broken = true; // e.g. a runtime whose Worker refuses `eval` or Blob URLs
    return idle;
  }
}

function settle(slot: Slot, reply: HashReply): void {
  slot.answered = true;
  const job = pending.get(reply.id);
  if (job === undefined) return;
  pending.delete(reply.id);
  slot.pending.delete(reply.id);
  if (slot.pending.size === 0) slot.handle.unref();
  if ("key" in reply) job.resolve(reply.key);
  else job.reject(new Error(reply.error));
}

// A worker that never answered means workers do not work here: stop trying. Either way its jobs are
// computed on this thread, so a login never fails because a worker died.
function fail(slot: Slot, _error: unknown): void {
  const index = slots.indexOf(slot);
  if (index === -1) return;
  slots.splice(index, 1);
  if (!slot.answered) broken = true;
  for (const id of slot.pending) {
    const job = pending.get(id);
    pending.delete(id);
    job?.inThread().then(job.resolve, job.reject);
  }
  slot.pending.clear();
}

function poolSize(): number {
  const os = builtin<{ availableParallelism?: () => number }>("node:os");
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const cores = os?.availableParallelism?.() ?? nav?.hardwareConcurrency ?? 2;
  return Math.min(4, Math.max(1, cores)); // libuv's default pool is 4 threads too
}

function nodeSpawn(): Spawn | null {
  const threads = builtin<{ Worker?: new (code: string, options: { eval: true }) => NodeWorker }>(
    "node:worker_threads",
  );
  const NodeWorkerClass = threads?.Worker;
  if (typeof NodeWorkerClass !== "function") return null;
  return (code, listeners) => {
    const worker = new NodeWorkerClass(code, { eval: true });
    worker.on("message", listeners.message);
    worker.on("error", listeners.failure);
    worker.on("exit", listeners.failure);
    return {
      post: (message) => worker.postMessage(message),
      ref: () => worker.ref?.(),
      unref: () => worker.unref?.(),
    };
  };
}

const webSpawnFn: Spawn = (code, listeners) => {
  const g = globalThis as unknown as { Worker: new (url: string) => WebWorker };
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  const worker = new g.Worker(url);
  worker.addEventListener("message", (event) => listeners.message(event.data));
  worker.addEventListener("error", listeners.failure);
  worker.addEventListener("messageerror", listeners.failure);
  return { post: (message) => worker.postMessage(message), ref: () => {}, unref: () => {} };
};

function webSpawn(): Spawn | null {
  const g = globalThis as { Worker?: unknown; Blob?: unknown };
  const canBlob = typeof URL.createObjectURL === "function" && typeof g.Blob === "function";
  return typeof g.Worker === "function" && canBlob ? webSpawnFn : null;
}

function builtin<T>(id: string): T | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return (proc?.getBuiltinModule?.(id) as T | undefined) ?? null;
  } catch {
    return null;
  }
}
