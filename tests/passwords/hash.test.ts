import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { runDummyHash } from "../../src/passwords/hash.js";
import {
  DEFAULT_PASSWORD_OPTIONS,
  type HashPasswordOptions,
  hashPassword,
  isPasswordUsable,
  makeUnusablePassword,
  verifyPassword,
} from "../../src/passwords/index.js";

const SALT = "[a-zA-Z0-9]{22}";
const B64 = "[A-Za-z0-9+/]";

describe("hashPassword output", () => {
  it.each<[string, HashPasswordOptions | undefined, RegExp]>([
    ["pbkdf2_sha256 (default)", undefined, new RegExp(`^pbkdf2_sha256\\$600000\\$${SALT}\\$${B64}{43}=$`)],
    [
      "argon2",
      { algorithm: "argon2" },
      new RegExp(`^argon2\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$${B64}{30}\\$${B64}{43}$`),
    ],
    ["scrypt", { algorithm: "scrypt" }, new RegExp(`^scrypt\\$16384\\$${SALT}\\$8\\$5\\$${B64}{86}==$`)],
  ])("%s: Django's format at the defaults, and it verifies", async (_, options, format) => {
    const encoded = await hashPassword("lètmein", options);
    expect(encoded).toMatch(format);
    expect(await verifyPassword("lètmein", encoded, options)).toEqual({ valid: true, needsRehash: false });
  });

  it("argon2 stores the base64 of Django's ASCII salt", async () => {
    const encoded = await hashPassword("x", { algorithm: "argon2", argon2: { memoryCost: 64, timeCost: 1 } });
    const salt = Buffer.from(encoded.split("$")[4]!, "base64").toString("latin1");
    expect(salt).toMatch(new RegExp(`^${SALT}$`));
  });

  it("uses a fresh 22-character [a-zA-Z0-9] salt each time", async () => {
    const hashes = await Promise.all(
      Array.from({ length: 20 }, () => hashPassword("same", { iterations: 1 })),
    );
    const salts = hashes.map((h) => h.split("$")[2]!);
    for (const salt of salts) expect(salt).toMatch(new RegExp(`^${SALT}$`));
    expect(new Set(salts).size).toBe(salts.length);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it("accepts the empty password", async () => {
    const encoded = await hashPassword("", { iterations: 1000 });
    expect((await verifyPassword("", encoded, { iterations: 1000 })).valid).toBe(true);
  });

  it.each<[string, unknown]>([
    ["a number", 1],
    ["null", null],
    ["undefined", undefined],
    ["an object", { toString: () => "pw" }],
    ["a lone high surrogate", "pw\uD800"],
    ["a lone low surrogate", "\uDC00pw"],
  ])("throws a TypeError for %s, never echoing the password", async (_, password) => {
    const error = await hashPassword(password as string, { iterations: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/^password must/);
    expect((error as Error).message).not.toContain("pw");
  });

  it.each<[string, HashPasswordOptions, RegExp]>([
    ["empty salt", { salt: "" }, /salt must be provided and cannot contain \$/],
    ["salt with $", { salt: "sea$salt" }, /salt must be provided and cannot contain \$/],
    ["short argon2 salt", { algorithm: "argon2", salt: "seasalt" }, /at least 8 bytes/],
    ["iterations 0", { iterations: 0 }, /^iterations must be an integer/],
    ["iterations 1.5", { iterations: 1.5 }, /^iterations must be an integer/],
    ["iterations NaN", { iterations: Number.NaN }, /^iterations must be an integer/],
    ["iterations 2^31", { iterations: 2 ** 31 }, /^iterations must be an integer/],
    ["unknown algorithm", { algorithm: "md5" as never }, /^algorithm must be/],
    ["argon2.timeCost 0", { argon2: { timeCost: 0 } }, /^argon2\.timeCost/],
    ["argon2.memoryCost < 8p", { argon2: { memoryCost: 16, parallelism: 4 } }, /^argon2\.memoryCost/],
    ["argon2.parallelism 2^24", { argon2: { parallelism: 2 ** 24 } }, /^argon2\.parallelism/],
    ["scrypt.workFactor not a power of two", { scrypt: { workFactor: 1000 } }, /^scrypt\.workFactor/],
    ["scrypt.workFactor 2^21", { scrypt: { workFactor: 2 ** 21 } }, /^scrypt\.workFactor/],
    ["scrypt.blockSize 0", { scrypt: { blockSize: 0 } }, /^scrypt\.blockSize/],
    ["scrypt.parallelism -1", { scrypt: { parallelism: -1 } }, /^scrypt\.parallelism/],
  ])("rejects %s with a RangeError", async (_, options, message) => {
    const error = await hashPassword("pw", options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(message);
  });

  it("rejects a non-string salt with a TypeError", async () => {
    await expect(hashPassword("pw", { salt: 42 as never })).rejects.toThrow(TypeError);
  });

  it("does not mutate the caller's options", async () => {
    const options = Object.freeze({ iterations: 10, argon2: Object.freeze({ timeCost: 1 }) });
    await hashPassword("pw", options);
    expect(options).toEqual({ iterations: 10, argon2: { timeCost: 1 } });
  });
});

describe("DEFAULT_PASSWORD_OPTIONS", () => {
  it("holds the resolved defaults, frozen all the way down", () => {
    expect(DEFAULT_PASSWORD_OPTIONS).toEqual({
      algorithm: "pbkdf2_sha256",
      iterations: 600_000,
      argon2: { timeCost: 2, memoryCost: 19_456, parallelism: 1 },
      scrypt: { workFactor: 16_384, blockSize: 8, parallelism: 5 },
      limits: {
        iterations: 5_000_000,
        argon2: { timeCost: 8, memoryCost: 262_144, parallelism: 32 },
        scrypt: { workFactor: 2 ** 17, blockSize: 16, parallelism: 20 },
      },
    });
    expect(Object.isFrozen(DEFAULT_PASSWORD_OPTIONS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PASSWORD_OPTIONS.argon2)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PASSWORD_OPTIONS.scrypt)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PASSWORD_OPTIONS.limits.argon2)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PASSWORD_OPTIONS.limits.scrypt)).toBe(true);
  });
});

describe("unusable passwords", () => {
  it("makeUnusablePassword: '!' and 40 random [a-zA-Z0-9], unique", () => {
    const markers = Array.from({ length: 50 }, makeUnusablePassword);
    for (const m of markers) expect(m).toMatch(/^![a-zA-Z0-9]{40}$/);
    expect(new Set(markers).size).toBe(50);
  });

  it.each<[unknown, boolean]>([
    [null, false],
    [undefined, false],
    ["!", false],
    ["!anything", false],
    ["pbkdf2_sha256$600000$salt$hash", true],
    ["lètmein_badencoded", true], // Django: usable (not the marker), though it never verifies
    ["", true],
  ])("isPasswordUsable(%j) is %s", (encoded, usable) => {
    expect(isPasswordUsable(encoded as string)).toBe(usable);
  });
});

describe("runDummyHash", () => {
  it("runs exactly one hash with the configured parameters", async () => {
    const spy = vi.spyOn(crypto.subtle, "deriveBits");
    await runDummyHash({ iterations: 1234 });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]![0]).toMatchObject({ name: "PBKDF2", hash: "SHA-256", iterations: 1234 });
    spy.mockRestore();
  });
});

describe("round trip (property)", () => {
  const low = { iterations: 1000 } as const;
  it("verifies any full-Unicode string and rejects any other", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary" }),
        async (password, other) => {
          const encoded = await hashPassword(password, low);
          expect(await verifyPassword(password, encoded, low)).toEqual({ valid: true, needsRehash: false });
          // HMAC zero-pads keys: only trailing NULs are invisible (Django's PBKDF2 shares this).
          fc.pre(other.replace(/\0+$/, "") !== password.replace(/\0+$/, ""));
          expect((await verifyPassword(other, encoded, low)).valid).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("event loop", () => {
  it.each<[string, HashPasswordOptions | undefined]>([
    ["pbkdf2_sha256 (default)", undefined],
    ["argon2 (default)", { algorithm: "argon2" }],
  ])("keeps ticking while one %s hash runs", async (_, options) => {
    let last = performance.now();
    let maxGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const started = performance.now();
    try {
      await hashPassword("lètmein", options);
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    // A 5 ms timer ticks elapsed/5 times on a free loop; a third of that survives a loaded machine
    // (Node 24's native argon2 takes ~25 ms), while a hash that blocks the loop gets at most one tick.
    expect(ticks).toBeGreaterThanOrEqual(Math.max(2, Math.floor(elapsed / 15)));
    expect(maxGap).toBeLessThan(100);
  });
});
