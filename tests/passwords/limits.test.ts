// Issue 17.16: the cost parameters of a stored hash are bounded. A hash over a ceiling is refused without
// being run (a failed login, quickly), with a warning; ceilings are configurable, defaults a few times Django's.
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthEvents } from "../../src/core/events.js";
import { obtainAuthToken } from "../../src/endpoints/index.js";
import {
  DEFAULT_PASSWORD_LIMITS,
  hashPassword,
  type PasswordOptions,
  type PasswordWarning,
  verifyPassword,
} from "../../src/passwords/index.js";
import { BasicAuthentication } from "../../src/schemes/basic.js";
import { MemoryTokenStore } from "../../src/stores/memory.js";
import { MemoryUserStore } from "../../src/stores/memory-users.js";
import { basicAuthHeader, makeRequest } from "../../src/testing/index.js";

const FAIL = { valid: false, needsRehash: false };
const SALT22 = "Zp4Ue9GxJ3sA6fKt0mQwRb";
const B64_32 = `${"A".repeat(43)}=`;
const B64_20 = `${"A".repeat(27)}=`;
const B64_64 = `${"A".repeat(86)}==`;
const PHC_SALT = "WnA0VWU5R3hKM3NBNmZLdDBtUXdSYg"; // base64 of SALT22, unpadded
const PHC_HASH = "A".repeat(43);
// A cheap dummy hash, so "returns quickly" measures the refused hash, not the configured cost.
const CHEAP: PasswordOptions = { iterations: 1000 };

afterEach(() => vi.restoreAllMocks());

// [name, stored hash, parameter, value, limit]: each far past the default ceiling, most past what the
// primitive itself would take minutes or gigabytes for.
const HUGE: [string, string, string, number, number][] = [
  [
    "pbkdf2_sha256, 10^9 iterations",
    `pbkdf2_sha256$1000000000$${SALT22}$${B64_32}`,
    "iterations",
    1e9,
    5_000_000,
  ],
  [
    "pbkdf2_sha1, 2^31 - 1 iterations",
    `pbkdf2_sha1$2147483647$${SALT22}$${B64_20}`,
    "iterations",
    2 ** 31 - 1,
    5e6,
  ],
  [
    "argon2id, m = 4 GiB",
    `argon2$argon2id$v=19$m=4194304,t=2,p=1$${PHC_SALT}$${PHC_HASH}`,
    "argon2.memoryCost",
    4_194_304,
    262_144,
  ],
  [
    "argon2id, t = 2^32 - 1",
    `argon2$argon2id$v=19$m=65536,t=4294967295,p=1$${PHC_SALT}$${PHC_HASH}`,
    "argon2.timeCost",
    2 ** 32 - 1,
    8,
  ],
  [
    "argon2i v=16, p = 1024",
    `argon2$argon2i$v=16$m=1048576,t=1,p=1024$${PHC_SALT}$${PHC_HASH}`,
    "argon2.memoryCost",
    1_048_576,
    262_144,
  ],
  [
    "scrypt, N = 2^20 (1 GiB)",
    `scrypt$1048576$${SALT22}$8$1$${B64_64}`,
    "scrypt.workFactor",
    2 ** 20,
    2 ** 17,
  ],
  ["scrypt, N = 2^30", `scrypt$1073741824$${SALT22}$8$1$${B64_64}`, "scrypt.workFactor", 2 ** 30, 2 ** 17],
  ["scrypt, r = 4096", `scrypt$16384$${SALT22}$4096$1$${B64_64}`, "scrypt.blockSize", 4096, 16],
  ["scrypt, p = 2^20", `scrypt$16384$${SALT22}$8$1048576$${B64_64}`, "scrypt.parallelism", 2 ** 20, 20],
];

describe("a stored hash over a ceiling", () => {
  it.each(HUGE)(
    "%s: answers invalid at once, never runs it, warns",
    async (_, encoded, parameter, value, limit) => {
      const warnings: PasswordWarning[] = [];
      const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
      const start = performance.now();
      const result = await verifyPassword("pw", encoded, { ...CHEAP, onWarning: (w) => warnings.push(w) });
      expect(performance.now() - start).toBeLessThan(1500);
      expect(result).toEqual(FAIL);
      const algorithm = encoded.slice(0, encoded.indexOf("$"));
      expect(warnings).toEqual([
        {
          code: "password_hash_over_limit",
          algorithm,
          parameter,
          value,
          limit,
          message:
            `portcullis: refused a stored ${algorithm} password hash without running it: ${parameter} ` +
            `${value} is over the limit of ${limit} (passwords.limits.${parameter}); the login fails.`,
        },
      ]);
      // The only hash run is the dummy one, at the configured 1,000 iterations (Django's fake_runtime).
      expect(deriveBits.mock.calls.map(([params]) => (params as Pbkdf2Params).iterations)).toEqual([1000]);
    },
  );

  it("without onWarning, the warning goes to console.warn", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(await verifyPassword("pw", HUGE[0]![1], CHEAP)).toEqual(FAIL);
    expect(warn).toHaveBeenCalledExactlyOnceWith(
      expect.stringMatching(/^portcullis: refused a stored pbkdf2_sha256/),
    );
    expect(String(warn.mock.calls[0]![0])).not.toContain(SALT22);
  });

  it("an onWarning that throws is reported, and the answer is still invalid", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const result = await verifyPassword("pw", HUGE[0]![1], {
      ...CHEAP,
      onWarning: () => {
        throw new Error("log down");
      },
    });
    expect(result).toEqual(FAIL);
    expect(error).toHaveBeenCalledWith("portcullis: passwords.onWarning failed", expect.any(Error));
  });

  it("a hash within the ceilings verifies, without a warning", async () => {
    const onWarning = vi.fn();
    const weak = { algorithm: "argon2", argon2: { timeCost: 1, memoryCost: 8, parallelism: 1 } } as const;
    const encoded = await hashPassword("pw", weak);
    expect(await verifyPassword("pw", encoded, { ...weak, onWarning })).toEqual({
      valid: true,
      needsRehash: false,
    });
    expect(onWarning).not.toHaveBeenCalled();
  });
});

describe("configurable ceilings", () => {
  it("holds the documented defaults, frozen", () => {
    expect(DEFAULT_PASSWORD_LIMITS).toEqual({
      iterations: 5_000_000,
      argon2: { timeCost: 8, memoryCost: 262_144, parallelism: 32 },
      scrypt: { workFactor: 131_072, blockSize: 16, parallelism: 20 },
    });
    expect(Object.isFrozen(DEFAULT_PASSWORD_LIMITS)).toBe(true);
  });

  it.each<[string, PasswordOptions, PasswordOptions]>([
    ["iterations", { iterations: 2000 }, { iterations: 1000, limits: { iterations: 1999 } }],
    [
      "argon2.memoryCost",
      { algorithm: "argon2", argon2: { timeCost: 1, memoryCost: 64, parallelism: 1 } },
      {
        algorithm: "argon2",
        argon2: { timeCost: 1, memoryCost: 8, parallelism: 1 },
        limits: { argon2: { memoryCost: 63 } },
      },
    ],
    [
      "argon2.timeCost",
      { algorithm: "argon2", argon2: { timeCost: 3, memoryCost: 8, parallelism: 1 } },
      {
        algorithm: "argon2",
        argon2: { timeCost: 1, memoryCost: 8, parallelism: 1 },
        limits: { argon2: { timeCost: 2 } },
      },
    ],
    [
      "scrypt.workFactor",
      { algorithm: "scrypt", scrypt: { workFactor: 2048, blockSize: 8, parallelism: 1 } },
      {
        algorithm: "scrypt",
        scrypt: { workFactor: 1024, blockSize: 8, parallelism: 1 },
        limits: { scrypt: { workFactor: 1024 } },
      },
    ],
    [
      "scrypt.parallelism",
      { algorithm: "scrypt", scrypt: { workFactor: 1024, blockSize: 8, parallelism: 3 } },
      {
        algorithm: "scrypt",
        scrypt: { workFactor: 1024, blockSize: 8, parallelism: 1 },
        limits: { scrypt: { parallelism: 2 } },
      },
    ],
  ])(
    "%s: a hash one past a lowered ceiling is refused, at the ceiling it verifies",
    async (parameter, writer, reader) => {
      const encoded = await hashPassword("pw", writer);
      const onWarning = vi.fn();
      expect(await verifyPassword("pw", encoded, { ...reader, onWarning })).toEqual(FAIL);
      expect(onWarning).toHaveBeenCalledWith(expect.objectContaining({ parameter }));
      // Under the default ceilings the same hash verifies, without a warning.
      const atLimit = { ...reader, limits: {}, onWarning: vi.fn() };
      expect((await verifyPassword("pw", encoded, atLimit)).valid).toBe(true);
      expect(atLimit.onWarning).not.toHaveBeenCalled();
    },
  );

  it("a raised ceiling lets a heavier row through", async () => {
    const encoded = `pbkdf2_sha256$6000000$${SALT22}$${B64_32}`;
    const onWarning = vi.fn();
    await verifyPassword("pw", encoded, { ...CHEAP, onWarning });
    expect(onWarning).toHaveBeenCalledOnce();
    onWarning.mockClear();
    // Under a raised ceiling it is parsed, run and answers false (wrong hash bytes), without a warning.
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits").mockResolvedValue(new ArrayBuffer(32));
    await verifyPassword("pw", encoded, { ...CHEAP, limits: { iterations: 6_000_000 }, onWarning });
    expect(onWarning).not.toHaveBeenCalled();
    expect((deriveBits.mock.calls[0]![0] as Pbkdf2Params).iterations).toBe(6_000_000);
  });

  it.each<[string, PasswordOptions, RegExp]>([
    [
      "iterations over the ceiling",
      { iterations: 6_000_000 },
      /^iterations \(6000000\) is over limits\.iterations \(5000000\)/,
    ],
    [
      "argon2 memory over the ceiling",
      { algorithm: "argon2", argon2: { memoryCost: 300_000 } },
      /^argon2\.memoryCost \(300000\) is over limits\.argon2\.memoryCost \(262144\)/,
    ],
    [
      "scrypt N over a lowered ceiling",
      { algorithm: "scrypt", limits: { scrypt: { workFactor: 2 ** 13 } } },
      /^scrypt\.workFactor \(16384\) is over limits\.scrypt\.workFactor \(8192\)/,
    ],
    [
      "a zero ceiling",
      { limits: { iterations: 0 } },
      /^limits\.iterations must be an integer from 1 to 2147483647\.$/,
    ],
    [
      "a ceiling past argon2's own",
      { limits: { argon2: { memoryCost: 2 ** 22 } } },
      /^limits\.argon2\.memoryCost must be/,
    ],
  ])(
    "%s: a RangeError when configured, from hashPassword and verifyPassword",
    async (_, options, message) => {
      await expect(hashPassword("pw", options)).rejects.toThrow(RangeError);
      await expect(hashPassword("pw", options)).rejects.toThrow(message);
      await expect(verifyPassword("pw", "x", options)).rejects.toThrow(message);
    },
  );
});

describe("counted as a failed login", () => {
  const huge = HUGE[0]![1];

  async function users() {
    const store = new MemoryUserStore();
    await store.create({ username: "heavy", passwordHash: huge });
    return store;
  }

  it("obtainAuthToken answers DRF's 400 and emits loginFailed", async () => {
    const events = new AuthEvents();
    const failed = vi.fn();
    events.on("loginFailed", failed);
    const onWarning = vi.fn();
    const handler = obtainAuthToken({
      users: await users(),
      tokens: new MemoryTokenStore(),
      events,
      passwords: { ...CHEAP, onWarning },
    });
    const response = await handler(
      new Request("http://localhost/api-token-auth/", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "heavy", password: "pw" }),
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      non_field_errors: ["Unable to log in with provided credentials."],
    });
    expect(failed).toHaveBeenCalledExactlyOnceWith({ username: "heavy", via: "obtainAuthToken" });
    expect(onWarning).toHaveBeenCalledOnce();
  });

  it("BasicAuthentication answers 401 Invalid username/password.", async () => {
    const onWarning = vi.fn();
    const basic = new BasicAuthentication({ users: await users(), passwords: { ...CHEAP, onWarning } });
    const request = makeRequest({ headers: { authorization: basicAuthHeader("heavy", "pw") } });
    await expect(basic.authenticate(request)).rejects.toMatchObject({
      status: 401,
      code: "authentication_failed",
      detail: "Invalid username/password.",
    });
    expect(onWarning).toHaveBeenCalledOnce();
  });
});
