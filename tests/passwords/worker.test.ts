// Issue 17.16: argon2 and scrypt in JavaScript run in a worker, so four concurrent logins of made-up users
// no longer hold an unrelated timer for seconds; a worker that cannot start leaves the job on this thread.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HashJob } from "../../src/passwords/hash-job.js";
import { verifyPassword } from "../../src/passwords/index.js";
import { deriveInWorker, workerCount, workerKind } from "../../src/passwords/worker-pool.js";
import { BasicAuthentication } from "../../src/schemes/basic.js";
import { MemoryUserStore } from "../../src/stores/memory-users.js";
import { basicAuthHeader, makeRequest } from "../../src/testing/index.js";
import data from "../vectors/django-hashers.json" with { type: "json" };

afterEach(() => {
  vi.restoreAllMocks();
  vi.resetModules();
});

/** The largest gap between the runs of a `setTimeout(0)` loop while `work` runs, in ms. */
async function maxTimerDelay(work: () => Promise<unknown>): Promise<number> {
  let max = 0;
  let running = true;
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
    if (running) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  try {
    await work();
  } finally {
    running = false;
  }
  return max;
}

describe("the event loop while hashing", () => {
  it("four concurrent argon2 logins of made-up users delay a setTimeout(0) loop by under 100 ms", async () => {
    // Django's default argon2id (m = 100 MiB, t = 2, p = 8) would take seconds on this thread with noble;
    // portcullis's default (19 MiB, t = 2) ~0.3-0.4 s each. Either way the loop must stay free.
    const basic = new BasicAuthentication({
      users: new MemoryUserStore(),
      passwords: { algorithm: "argon2" },
    });
    const login = (name: string) =>
      basic.authenticate(makeRequest({ headers: { authorization: basicAuthHeader(name, "guess") } })).then(
        () => "authenticated",
        (error: { status?: number }) => error.status,
      );
    // Warm-up: the pool starts its workers on demand (in Deno a start holds the loop ~0.2 s, once).
    await Promise.all(["w1", "w2", "w3", "w4"].map(login));
    let answers: unknown[] = [];
    const delay = await maxTimerDelay(async () => {
      answers = await Promise.all(["ann", "bob", "cat", "dan"].map(login));
    });
    expect(answers).toEqual([401, 401, 401, 401]);
    expect(delay).toBeLessThan(100);
  });

  it("a scrypt hash computed in JavaScript runs in the worker too", async () => {
    const v = data.vectors.find((x) => x.name === "other r and p")!;
    const job: HashJob = {
      kind: "scrypt",
      password: new TextEncoder().encode(v.password),
      salt: new TextEncoder().encode(v.salt!),
      N: 2048,
      r: 4,
      p: 2,
      dkLen: 64,
      maxmem: 2 ** 24,
    };
    const inThread = vi.fn(async () => new Uint8Array());
    const key = await deriveInWorker(job, inThread);
    expect(`scrypt$2048$${v.salt}$4$2$${btoa(String.fromCharCode(...key))}`).toBe(v.encoded);
    expect(inThread).not.toHaveBeenCalled();
  });
});

describe("the worker pool", () => {
  it("runs where the runtime has node:worker_threads, and keeps at most four workers", async () => {
    expect(workerKind()).toBe("node");
    // argon2 version 0x10 never goes to node:crypto.argon2, so this takes the worker on every Node.
    const v = data.vectors.find((x) => x.name === "argon2i v=16 with version field")!;
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyPassword(v.password, v.encoded)));
    expect(results.every((r) => r.valid)).toBe(true);
    expect(workerCount()).toBeGreaterThan(0);
    expect(workerCount()).toBeLessThanOrEqual(4);
  });

  it("a hash function's own error rejects; it is never read as a wrong password", async () => {
    const job: HashJob = {
      kind: "argon2",
      type: "argon2id",
      version: 0x13,
      password: new Uint8Array(3),
      salt: new Uint8Array(3), // under argon2's 8-byte minimum: noble throws inside the worker
      t: 1,
      m: 8,
      p: 1,
      dkLen: 32,
    };
    const inThread = vi.fn(async () => new Uint8Array(32));
    await expect(deriveInWorker(job, inThread)).rejects.toThrow(/salt/);
    expect(inThread).not.toHaveBeenCalled();
  });

  it("a worker that cannot start leaves every job on this thread, with the right answer", async () => {
    // A runtime whose Worker dies at once (as one refusing eval or Blob URLs would).
    class DeadWorker {
      readonly #listeners = new Map<string, (error: unknown) => void>();
      constructor() {
        setTimeout(() => this.#listeners.get("error")?.(new Error("worker refused")), 0);
      }
      on(event: string, listener: (error: unknown) => void) {
        this.#listeners.set(event, listener);
      }
      postMessage() {}
      ref() {}
      unref() {}
    }
    const real = process.getBuiltinModule.bind(process);
    vi.spyOn(process, "getBuiltinModule").mockImplementation(((id: string) =>
      id === "node:worker_threads" ? { Worker: DeadWorker } : real(id)) as typeof process.getBuiltinModule);
    const fresh = await import("../../src/passwords/index.js");
    const pool = await import("../../src/passwords/worker-pool.js");
    // argon2 version 0x10: never node:crypto.argon2 (Node >= 24.7, Bun), always the worker or this thread.
    const v = data.vectors.find((x) => x.name === "argon2i v=16 with version field")!;
    expect(await fresh.verifyPassword(v.password, v.encoded)).toEqual({ valid: true, needsRehash: true });
    expect(pool.workerKind()).toBe(null); // given up on: later jobs go straight to this thread
    expect(pool.workerCount()).toBe(0);
    expect((await fresh.verifyPassword(`${v.password}x`, v.encoded)).valid).toBe(false);
  });
});

describe("Web Workers (a runtime without node:worker_threads)", () => {
  it("runs the job in a classic Web Worker made from a Blob URL", async () => {
    // A Web Worker stand-in on top of worker_threads: it runs the Blob's script with the node handle
    // hidden, so the worker's own code takes its Web path (onmessage / postMessage on the global scope).
    const threads = process.getBuiltinModule("node:worker_threads");
    const { resolveObjectURL } = process.getBuiltinModule("node:buffer");
    const scripts: string[] = [];
    class FakeWebWorker {
      readonly #ready: Promise<InstanceType<typeof threads.Worker>>;
      readonly #listeners = new Map<string, (event: unknown) => void>();
      constructor(url: string) {
        this.#ready = resolveObjectURL(url)!
          .text()
          .then((code) => {
            scripts.push(code);
            const prelude = `const { parentPort } = require("node:worker_threads"); delete process.getBuiltinModule;
              globalThis.postMessage = (m) => parentPort.postMessage(m);
              parentPort.on("message", (data) => globalThis.onmessage({ data }));`;
            const worker = new threads.Worker(`${prelude}\n${code}`, { eval: true });
            worker.on("message", (data) => this.#listeners.get("message")?.({ data }));
            worker.on("error", (error) => this.#listeners.get("error")?.(error));
            worker.unref();
            return worker;
          });
      }
      addEventListener(type: string, listener: (event: unknown) => void) {
        this.#listeners.set(type, listener);
      }
      postMessage(message: unknown) {
        void this.#ready.then((worker) => worker.postMessage(message));
      }
    }
    const real = process.getBuiltinModule.bind(process);
    vi.spyOn(process, "getBuiltinModule").mockImplementation(((id: string) =>
      id === "node:worker_threads" ? undefined : real(id)) as typeof process.getBuiltinModule);
    vi.stubGlobal("Worker", FakeWebWorker);
    try {
      const pool = await import("../../src/passwords/worker-pool.js");
      const fresh = await import("../../src/passwords/index.js");
      expect(pool.workerKind()).toBe("web");
      const v = data.vectors.find((x) => x.name === "argon2i v=16 with version field")!;
      expect(await fresh.verifyPassword(v.password, v.encoded)).toEqual({ valid: true, needsRehash: true });
      expect(scripts).toHaveLength(1);
      expect(pool.workerCount()).toBe(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("the worker's code", () => {
  it("is the current bundle of hash-worker-entry.ts (node scripts/build-hash-worker.mjs)", async () => {
    const script = await import("../../scripts/build-hash-worker.mjs");
    expect(script.committed()).toBe(await script.bundle());
  });
});
