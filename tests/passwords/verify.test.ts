import { afterEach, describe, expect, it, vi } from "vitest";
import {
  hashPassword,
  makeUnusablePassword,
  type PasswordOptions,
  verifyPassword,
} from "../../src/passwords/index.js";
import data from "../vectors/django-hashers.json" with { type: "json" };

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const FAIL = { valid: false, needsRehash: false };
const vector = (name: string) => data.vectors.find((v) => v.name === name)!.encoded;
const SHA256 = vector("django test_pbkdf2 (600000)"); // "lètmein"
const SCRYPT = vector("django test_scrypt (N=16384 r=8 p=1)"); // "lètmein"
const ARGON2 = vector("argon2id small"); // "lètmein", m=256 t=2 p=1
const [, , , , argonSalt, argonHash] = ARGON2.split("$");

afterEach(() => {
  vi.restoreAllMocks();
});

/** Spies on deriveBits; `fake` answers zeros at once so the 600,000-iteration dummy costs nothing. */
function spyDeriveBits(fake = false) {
  const spy = vi.spyOn(crypto.subtle, "deriveBits");
  if (fake) spy.mockImplementation(async (_params, _key, bits) => new ArrayBuffer((bits ?? 0) / 8));
  return spy;
}

const MALFORMED: [string, unknown, unknown][] = [
  ["null", "lètmein", null],
  ["undefined", "lètmein", undefined],
  ["empty string", "lètmein", ""],
  ["unusable marker", "lètmein", makeUnusablePassword()],
  ['"!" alone', "!", "!"],
  ["unusable-prefixed real hash", "lètmein", `!${SHA256}`],
  ["unknown algorithm (lolcat)", "lètmein", "lolcat$salt$hash"],
  ["bcrypt_sha256", "lètmein", "bcrypt_sha256$$2b$12$LAl6IfEqEoDDpY0SqwKuHOSeJeMfSkBN0Eh3W4tL6wnpcyTqvyoOe"],
  ["bcrypt", "lètmein", "bcrypt$$2b$12$1MsN3eRDrWSLrnRc4S9wWuL7zfZ0QZ4e/EFXR4yD.pHqJnGbbhJLa"],
  ["salted md5 (Django literal)", "lètmein", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"],
  ["salted sha1 (Django literal)", "lètmein", "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"],
  ["unsalted md5", "lètmein", "88a434c88cca4e900f7874cd98123f43"],
  ["unsalted md5, md5$$ form", "lètmein", "md5$$88a434c88cca4e900f7874cd98123f43"],
  ["unsalted sha1", "lètmein", "sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b"],
  ["crypt", "lètmei", "crypt$$ab1Hv2Lg7ltQo"],
  ["upper-case algorithm", "lètmein", SHA256.replace("pbkdf2_sha256", "PBKDF2_SHA256")],
  ["truncated hash", "lètmein", SHA256.slice(0, -4)],
  ["hash field missing", "lètmein", SHA256.slice(0, SHA256.lastIndexOf("$"))],
  ["extra field", "lètmein", `${SHA256}$x`],
  ["empty salt", "lètmein", SHA256.replace("$seasalt$", "$$")],
  ["sha1-length hash under sha256", "lètmein", "pbkdf2_sha256$600000$seasalt2$2CLsaL1MZhq6JOG6QOHtVbiopHE="],
  ["unpadded base64", "lètmein", SHA256.slice(0, -1)],
  ...[
    "0",
    "-1",
    "+600000",
    " 600000",
    "0600000",
    "6e5",
    "600000.0",
    "0x927C0",
    "2147483648",
    "99999999999999999999",
    "",
  ].map(
    (n) => [`iterations "${n}"`, "lètmein", SHA256.replace("$600000$", `$${n}$`)] as [string, string, string],
  ),
  ...[
    ["N not a power of two", "16383$seasalt$8$1"],
    ["N = 1", "1$seasalt$8$1"],
    ["N over 2^20", "2097152$seasalt$8$1"],
    ["r = 0", "16384$seasalt$0$1"],
    ["p = 0", "16384$seasalt$8$0"],
    ["r * p >= 2^30", "16384$seasalt$1$1073741824"],
    ["over 2 GiB of memory", "1048576$seasalt$32$1"],
    ["empty salt", "16384$$8$1"],
  ].map(
    ([what, fields]) =>
      [`scrypt ${what}`, "lètmein", SCRYPT.replace("16384$seasalt$8$1", fields!)] as [string, string, string],
  ),
  ["scrypt 32-byte hash", "lètmein", `scrypt$16384$seasalt$8$1$${"A".repeat(43)}=`],
  ...[
    ["m < 8p", "v=19$m=8,t=2,p=8"],
    ["m = 4", "v=19$m=4,t=2,p=1"],
    ["t = 0", "v=19$m=256,t=0,p=1"],
    ["p = 0", "v=19$m=256,t=2,p=0"],
    ["p = 2^24", "v=19$m=256,t=2,p=16777216"],
    ["m = 4 GiB", "v=19$m=4194304,t=2,p=1"],
    ["parameters out of order", "v=19$t=2,m=256,p=1"],
    ["spaces", "v=19$m=256, t=2, p=1"],
    ["v=20", "v=20$m=256,t=2,p=1"],
    ["version missing", "m=256,t=2,p=1$x"],
  ].map(
    ([what, fields]) =>
      [`argon2 ${what}`, "lètmein", ARGON2.replace("v=19$m=256,t=2,p=1", fields!)] as [
        string,
        string,
        string,
      ],
  ),
  ["argon2 unknown variant", "lètmein", ARGON2.replace("argon2id", "argon2x")],
  ["argon2 PHC without the argon2 prefix", "lètmein", ARGON2.slice("argon2".length)],
  ["argon2 salt under 8 bytes", "lètmein", ARGON2.replace(`$${argonSalt}$`, "$c2FsdA$")],
  ["argon2 hash under 4 bytes", "lètmein", ARGON2.replace(`$${argonHash}`, "$AAAA")],
  ["argon2 padded base64", "lètmein", `${ARGON2}=`],
  [
    "argon2 non-canonical base64",
    "lètmein",
    ARGON2.replace(/.$/, (c) => B64[B64.indexOf(c) | 1]!), // same bytes, a padding bit set
  ],
  ["argon2 truncated", "lètmein", ARGON2.slice(0, -10)],
  ["non-string encoded (number)", "lètmein", 12345],
  ["non-string encoded (object)", "lètmein", { toString: () => SHA256 }],
  ["non-string password (number)", 12345, SHA256],
  ["non-string password (null)", null, SHA256],
  ["non-string password (object)", { toString: () => "lètmein" }, SHA256],
  ["lone surrogate password", "l\uD800tmein", SHA256],
];

describe("verifyPassword on bad input", () => {
  it.each(MALFORMED)(
    "%s: {false, false} after exactly one dummy hash at the configured cost",
    async (_, pw, encoded) => {
      const spy = spyDeriveBits(true);
      expect(await verifyPassword(pw as string, encoded as string)).toEqual(FAIL);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]![0]).toMatchObject({ name: "PBKDF2", hash: "SHA-256", iterations: 600_000 });
      expect(spy.mock.calls[0]![2]).toBe(256);
      // A fresh random salt, not the stored one: the dummy hash ran, not a verify of the stored value.
      const salt = (spy.mock.calls[0]![0] as Pbkdf2Params).salt as Uint8Array;
      expect(new TextDecoder().decode(salt)).toMatch(/^[a-zA-Z0-9]{22}$/);
    },
  );

  it.each([
    ["null", null],
    ["lolcat", "lolcat$salt$hash"],
    ["unusable", makeUnusablePassword()],
  ])("%s: the real dummy hash runs once under the default options", async (_, encoded) => {
    const spy = spyDeriveBits();
    expect(await verifyPassword("lètmein", encoded)).toEqual(FAIL);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("runs the dummy hash with the configured algorithm", async () => {
    const spy = spyDeriveBits();
    const options: PasswordOptions = { algorithm: "argon2", argon2: { memoryCost: 64, timeCost: 1 } };
    expect(await verifyPassword("x", "lolcat$salt$hash", options)).toEqual(FAIL);
    expect(spy).not.toHaveBeenCalled();
  });

  it("rejects bad options with a RangeError naming them", async () => {
    await expect(verifyPassword("x", SHA256, { iterations: 0 })).rejects.toThrow(/iterations/);
  });
});

describe("verifyPassword cost", () => {
  it.each([
    ["correct", "lètmein", true],
    ["wrong", "lètmeinz", false],
  ])("%s password on a 600,000-iteration hash: exactly one deriveBits", async (_, pw, valid) => {
    const spy = spyDeriveBits();
    // Django's "seasalt" has 7 characters (42 bits), so a correct password asks for a rehash.
    expect(await verifyPassword(pw, SHA256)).toEqual({ valid, needsRehash: valid });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("harden_runtime: a wrong password on a weaker hash spends the missing iterations", async () => {
    const encoded = await hashPassword("letmein", { iterations: 1000 });
    const spy = spyDeriveBits();
    expect(await verifyPassword("wrong", encoded, { iterations: 5000 })).toEqual(FAIL);
    expect(spy.mock.calls.map((c) => (c[0] as Pbkdf2Params).iterations)).toEqual([1000, 4000]);
    spy.mockClear();
    expect(await verifyPassword("letmein", encoded, { iterations: 5000 })).toEqual({
      valid: true,
      needsRehash: true,
    });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it.each<[string, PasswordOptions]>([
    ["configured count not higher", { iterations: 1000 }],
    ["another algorithm configured", { algorithm: "scrypt", iterations: 5000 }],
  ])("no hardening when %s", async (_, options) => {
    const encoded = await hashPassword("letmein", { iterations: 1000 });
    const spy = spyDeriveBits();
    expect(await verifyPassword("wrong", encoded, options)).toEqual(FAIL);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe("unusable passwords", () => {
  it("never verify, not even against themselves, the empty string or the prefix", async () => {
    const marker = makeUnusablePassword();
    for (const pw of [marker, "", "!", marker.slice(1), "lètmein"]) {
      expect(await verifyPassword(pw, marker, { iterations: 1000 })).toEqual(FAIL);
    }
  });
});
