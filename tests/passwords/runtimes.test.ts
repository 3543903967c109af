// Each implementation path, on this Node: node:crypto scrypt vs @noble/hashes (in a worker, or on this thread
// where no worker starts), and a node:crypto.argon2 stand-in (Node >= 24.7 has it; Node 20 does not) wired
// through the same vectors.
import { argon2d, argon2i, argon2id } from "@noble/hashes/argon2.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { NodeCrypto } from "../../src/core/crypto.js";
import data from "../vectors/django-hashers.json" with { type: "json" };

const { runtime, nobleLoaded } = vi.hoisted(() => ({
  runtime: { crypto: null as NodeCrypto | null, workers: false },
  nobleLoaded: { scrypt: 0, argon2: 0 },
}));

// Workers off unless a test turns them on: the in-thread path is what a runtime without workers takes.
vi.mock("../../src/passwords/worker-pool.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/passwords/worker-pool.js")>();
  return {
    ...actual,
    deriveInWorker: (...args: Parameters<typeof actual.deriveInWorker>) =>
      runtime.workers ? actual.deriveInWorker(...args) : args[1](),
  };
});

vi.mock("../../src/core/crypto.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/core/crypto.js")>();
  return { ...actual, getNodeCrypto: () => runtime.crypto };
});
vi.mock("@noble/hashes/scrypt.js", async (importOriginal) => {
  nobleLoaded.scrypt++;
  return importOriginal();
});
vi.mock("@noble/hashes/argon2.js", async (importOriginal) => {
  nobleLoaded.argon2++;
  return importOriginal();
});

const { hashPassword, verifyPassword } = await import("../../src/passwords/index.js");
const realNode = (process as unknown as { getBuiltinModule(id: string): NodeCrypto }).getBuiltinModule(
  "node:crypto",
);
const fast = (v: (typeof data.vectors)[number]) => !/m=(19456|102400)|\$16384\$.*\$5\$/.test(v.encoded);
const scryptVectors = data.vectors.filter((v) => v.algorithm === "scrypt" && fast(v));
const argon2Vectors = data.vectors.filter((v) => v.algorithm === "argon2" && fast(v));

/** node:crypto.argon2's documented signature, computed with @noble/hashes' synchronous functions. */
const fakeArgon2 = vi.fn<NonNullable<NodeCrypto["argon2"]>>((algorithm, p, callback) => {
  const fn = { argon2id, argon2i, argon2d }[algorithm];
  const options = { t: p.passes, m: p.memory, p: p.parallelism, dkLen: p.tagLength };
  setTimeout(() => callback(null, fn(p.message, p.nonce, options)), 0);
});

afterEach(() => {
  runtime.crypto = null;
  runtime.workers = false;
  fakeArgon2.mockClear();
});

describe("in a worker (node:worker_threads here)", () => {
  it.each([...scryptVectors, ...argon2Vectors].map((v) => [v.name, v] as const))(
    "%s verifies, and @noble/hashes never loads on this thread",
    async (_, v) => {
      runtime.workers = true;
      const before = { ...nobleLoaded };
      expect(await verifyPassword(v.password, v.encoded, { iterations: 1 })).toEqual({
        valid: true,
        needsRehash: true,
      });
      expect(await verifyPassword(`${v.password}x`, v.encoded, { iterations: 1 })).toEqual({
        valid: false,
        needsRehash: false,
      });
      expect(nobleLoaded).toEqual(before);
    },
  );
});

describe("scrypt", () => {
  it.each(scryptVectors.map((v) => [v.name, v] as const))("node:crypto: %s", async (_, v) => {
    runtime.crypto = realNode;
    expect((await verifyPassword(v.password, v.encoded, { iterations: 1 })).valid).toBe(true);
  });

  it("node:crypto never loads @noble/hashes/scrypt.js and handles N = 2^17 (over OpenSSL's 32 MiB default)", async () => {
    runtime.crypto = realNode;
    const options = {
      algorithm: "scrypt",
      scrypt: { workFactor: 2 ** 17, blockSize: 8, parallelism: 1 },
    } as const;
    const encoded = await hashPassword("pw", options);
    expect(encoded).toMatch(/^scrypt\$131072\$/);
    expect(nobleLoaded.scrypt).toBe(0);
  });

  it.each(scryptVectors.map((v) => [v.name, v] as const))("@noble/hashes fallback: %s", async (_, v) => {
    expect((await verifyPassword(v.password, v.encoded, { iterations: 1 })).valid).toBe(true);
    expect(nobleLoaded.scrypt).toBe(1);
  });
});

describe("argon2", () => {
  it.each(argon2Vectors.map((v) => [v.name, v] as const))(
    "node:crypto.argon2 where present: %s",
    async (_, v) => {
      runtime.crypto = { ...realNode, argon2: fakeArgon2 };
      expect((await verifyPassword(v.password, v.encoded, { iterations: 1 })).valid).toBe(true);
      // Node's argon2 is version 0x13 only: version 0x10 hashes stay on @noble/hashes.
      const v16 = v.encoded.includes("v=16") || !v.encoded.includes("$v=");
      expect(fakeArgon2).toHaveBeenCalledTimes(v16 ? 0 : 1);
    },
  );

  it("hashPassword through node:crypto.argon2 matches the vector", async () => {
    runtime.crypto = { ...realNode, argon2: fakeArgon2 };
    const v = data.vectors.find((x) => x.name === "argon2id four lanes")!;
    const { timeCost, memoryCost, parallelism } = v.params as unknown as Record<string, number>;
    const encoded = await hashPassword(v.password, {
      algorithm: "argon2",
      argon2: { timeCost, memoryCost, parallelism },
      salt: v.salt!,
    });
    expect(encoded).toBe(v.encoded);
    expect(fakeArgon2.mock.calls[0]![1]).toMatchObject({
      passes: 1,
      memory: 512,
      parallelism: 4,
      tagLength: 32,
    });
  });

  it("a runtime failure rejects instead of answering false", async () => {
    runtime.crypto = {
      ...realNode,
      argon2: (_a, _p, callback) => callback(new Error("boom"), new Uint8Array()),
    };
    const v = argon2Vectors.find((x) => x.encoded.includes("argon2id$v=19"))!;
    await expect(verifyPassword(v.password, v.encoded)).rejects.toThrow("boom");
  });
});

describe("PBKDF2 on a runtime that caps WebCrypto's iteration count (Cloudflare Workers)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("computes counts over 100,000 in JavaScript there, with the same result", async () => {
    const real = crypto.subtle.deriveBits.bind(crypto.subtle);
    const vector = data.vectors.find(
      (v) => v.algorithm === "pbkdf2_sha256" && v.encodable && /\$600000\$/.test(v.encoded),
    )!;
    vi.spyOn(crypto.subtle, "deriveBits").mockImplementation(async (params, key, length) => {
      if ((params as Pbkdf2Params).iterations > 100_000) {
        throw new DOMException("iteration counts above 100000 are not supported", "NotSupportedError");
      }
      return real(params, key, length);
    });
    expect((await verifyPassword(vector.password, vector.encoded)).valid).toBe(true);
    const sha1 = data.vectors.find((v) => v.algorithm === "pbkdf2_sha1" && /\$600000\$/.test(v.encoded));
    if (sha1) expect((await verifyPassword(sha1.password, sha1.encoded)).valid).toBe(true);
  });

  it("rethrows any other WebCrypto failure", async () => {
    vi.spyOn(crypto.subtle, "deriveBits").mockRejectedValue(new DOMException("boom", "OperationError"));
    await expect(hashPassword("pw")).rejects.toThrow("boom");
    vi.spyOn(crypto.subtle, "deriveBits").mockRejectedValue(new DOMException("nope", "NotSupportedError"));
    await expect(hashPassword("pw", { iterations: 1000 })).rejects.toThrow("nope");
  });
});
