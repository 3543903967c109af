// needsRehash (DESIGN §6, Django's must_update): one row per rule, and never after a failed verify.
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword, type PasswordOptions, verifyPassword } from "../../src/passwords/index.js";
import data from "../vectors/django-hashers.json" with { type: "json" };

const PW = "lètmein";
const FAIL = { valid: false, needsRehash: false };
const vector = (name: string) => data.vectors.find((v) => v.name === name)!.encoded;

describe("needsRehash", () => {
  const low = { iterations: 1000 } as const;
  const scrypt = { algorithm: "scrypt", scrypt: { workFactor: 1024, blockSize: 8, parallelism: 2 } } as const;
  const argon2 = { algorithm: "argon2", argon2: { timeCost: 2, memoryCost: 256, parallelism: 2 } } as const;
  const h: Record<string, string> = {};
  const strong = "Zp4Ue9GxJ3sA6fKt0mQwRb";

  beforeAll(async () => {
    const pw = PW;
    h.pbkdf2 = await hashPassword(pw, low);
    h.pbkdf2Low = await hashPassword(pw, { iterations: 999 });
    h.pbkdf2High = await hashPassword(pw, { iterations: 1001 });
    h.salt21 = await hashPassword(pw, { ...low, salt: strong.slice(1) });
    h.salt22 = await hashPassword(pw, { ...low, salt: strong });
    h.saltIodized = await hashPassword(pw, { ...low, salt: "iodizedsalt" });
    h.scrypt = await hashPassword(pw, scrypt);
    h.scryptN = await hashPassword(pw, { ...scrypt, scrypt: { ...scrypt.scrypt, workFactor: 512 } });
    h.scryptNHigh = await hashPassword(pw, { ...scrypt, scrypt: { ...scrypt.scrypt, workFactor: 2048 } });
    h.scryptR = await hashPassword(pw, { ...scrypt, scrypt: { ...scrypt.scrypt, blockSize: 7 } });
    h.scryptP = await hashPassword(pw, { ...scrypt, scrypt: { ...scrypt.scrypt, parallelism: 1 } });
    h.scryptPHigh = await hashPassword(pw, { ...scrypt, scrypt: { ...scrypt.scrypt, parallelism: 3 } });
    h.scryptSalt = await hashPassword(pw, { ...scrypt, salt: "iodizedsalt" });
    h.scryptRHigh = await hashPassword(pw, { ...scrypt, scrypt: { ...scrypt.scrypt, blockSize: 10 } });
    h.argon2 = await hashPassword(pw, argon2);
    h.argon2T = await hashPassword(pw, { ...argon2, argon2: { ...argon2.argon2, timeCost: 1 } });
    h.argon2THigh = await hashPassword(pw, { ...argon2, argon2: { ...argon2.argon2, timeCost: 3 } });
    h.argon2M = await hashPassword(pw, { ...argon2, argon2: { ...argon2.argon2, memoryCost: 128 } });
    h.argon2P = await hashPassword(pw, { ...argon2, argon2: { ...argon2.argon2, parallelism: 1 } });
    h.argon2Salt = await hashPassword(pw, { ...argon2, salt: "iodizedsalt" });
  });

  const weakest = { algorithm: "argon2", argon2: { timeCost: 1, memoryCost: 8, parallelism: 1 } } as const;
  const sha1 = data.vectors.find((v) => v.name === "sha1 non-BMP")!;
  const ROWS: [string, () => string, string, PasswordOptions, boolean][] = [
    ["pbkdf2, same cost, 22-char salt", () => h.pbkdf2!, PW, low, false],
    ["pbkdf2, lower iterations", () => h.pbkdf2Low!, PW, low, true],
    ["pbkdf2, higher iterations", () => h.pbkdf2High!, PW, low, false],
    ["pbkdf2, 21-char salt (125 bits)", () => h.salt21!, PW, low, true],
    ["pbkdf2, 22-char salt (131 bits)", () => h.salt22!, PW, low, false],
    ["pbkdf2, Django's iodizedsalt", () => h.saltIodized!, PW, low, true],
    ["pbkdf2_sha1, even at a higher count", () => sha1.encoded, sha1.password, { iterations: 1 }, true],
    ["pbkdf2 stored, argon2 configured", () => h.pbkdf2!, PW, argon2, true],
    ["pbkdf2 stored, scrypt configured", () => h.pbkdf2!, PW, scrypt, true],
    ["scrypt, same cost", () => h.scrypt!, PW, scrypt, false],
    ["scrypt, lower N", () => h.scryptN!, PW, scrypt, true],
    ["scrypt, higher N (Django's must_update: !=)", () => h.scryptNHigh!, PW, scrypt, true],
    ["scrypt, lower r", () => h.scryptR!, PW, scrypt, true],
    ["scrypt, lower p", () => h.scryptP!, PW, scrypt, true],
    ["scrypt, higher p", () => h.scryptPHigh!, PW, scrypt, true],
    [
      "scrypt, higher r (Django's test_scrypt_upgrade: block size 10, 8 configured)",
      () => h.scryptRHigh!,
      PW,
      scrypt,
      true,
    ],
    // Django's ScryptPasswordHasher.must_update reads N, r and p only: a short salt is no reason (issue 17.7).
    ["scrypt, 11-char salt", () => h.scryptSalt!, PW, scrypt, false],
    [
      "scrypt, Django's test_scrypt vector (salt 'seasalt') at its own N, r, p",
      () => vector("django test_scrypt (N=16384 r=8 p=1)"),
      PW,
      { algorithm: "scrypt", scrypt: { workFactor: 2 ** 14, blockSize: 8, parallelism: 1 } },
      false,
    ],
    [
      "scrypt, Django's test_scrypt vector, p=5 configured",
      () => vector("django test_scrypt (N=16384 r=8 p=1)"),
      PW,
      { algorithm: "scrypt" },
      true,
    ],
    ["scrypt stored, pbkdf2 configured", () => h.scrypt!, PW, low, true],
    ["argon2id, same cost", () => h.argon2!, PW, argon2, false],
    ["argon2id, lower t", () => h.argon2T!, PW, argon2, true],
    ["argon2id, higher t", () => h.argon2THigh!, PW, argon2, false],
    ["argon2id, lower m", () => h.argon2M!, PW, argon2, true],
    ["argon2id, lower p", () => h.argon2P!, PW, argon2, true],
    ["argon2id, 11-byte salt", () => h.argon2Salt!, PW, argon2, true],
    ["argon2 stored, pbkdf2 configured", () => h.argon2!, PW, low, true],
    ["argon2i v=19", () => vector("argon2i v=19"), "letmein", weakest, true],
    ["argon2d v=19", () => vector("argon2d v=19"), "letmein", weakest, true],
    ["argon2i v=16", () => vector("argon2i v=16 with version field"), "letmein", weakest, true],
    [
      "argon2i without a version field",
      () => vector("argon2i v=16 without version field"),
      "letmein",
      weakest,
      true,
    ],
    [
      "argon2id v=19 with a 16-byte hash",
      () => vector("argon2id 16-byte hash (argon2-cffi 21.1 default)"),
      "letmein",
      weakest,
      false,
    ],
  ];

  it.each(ROWS)("%s", async (_, encoded, password, options, needsRehash) => {
    expect(await verifyPassword(password, encoded(), options)).toEqual({ valid: true, needsRehash });
  });

  it.each(ROWS.filter((r) => r[4]))("%s: never on a failed verify", async (_, encoded, password, options) => {
    expect(await verifyPassword(`${password}z`, encoded(), options)).toEqual(FAIL);
  });
});
