/**
 * The reused signature buffers of the node:crypto path: the DER built from r ‖ s is the one a DER
 * encoder writes, node:crypto accepts exactly the signatures it accepted before, and a text of the wrong
 * length never reaches it.
 */
import { createVerify, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EcdsaDer, FixedSignature } from "../../src/jwt/signature-bytes.js";

const alloc = (size: number) => Buffer.alloc(size);
const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** A reference DER encoder: two minimal INTEGERs (BigInt) in a SEQUENCE. */
function referenceDer(raw: Uint8Array): Buffer {
  const half = raw.length / 2;
  const integer = (bytes: Uint8Array) => {
    let hex = BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`).toString(16);
    if (hex.length % 2 === 1) hex = `0${hex}`;
    let value = Buffer.from(hex, "hex");
    if (value[0]! >= 0x80) value = Buffer.concat([Buffer.from([0]), value]);
    return Buffer.concat([Buffer.from([0x02, value.length]), value]);
  };
  const body = Buffer.concat([integer(raw.subarray(0, half)), integer(raw.subarray(half))]);
  const head = body.length >= 0x80 ? [0x30, 0x81, body.length] : [0x30, body.length];
  return Buffer.concat([Buffer.from(head), body]);
}

/** r ‖ s with the patterns that change the encoding: leading zeros, high bits, zero, all ones. */
function patterned(half: number, seed: number): Uint8Array {
  const raw = new Uint8Array(2 * half);
  for (let i = 0; i < raw.length; i++) raw[i] = (seed * 131 + i * 29) & 0xff;
  const pattern = seed % 8;
  if (pattern === 1) raw.fill(0, 0, 3); // r with leading zeros
  if (pattern === 2) raw[half] = 0x80; // s with its high bit set
  if (pattern === 3) raw.fill(0, 0, half); // r = 0
  if (pattern === 4) raw.fill(0xff); // both high
  if (pattern === 5) raw.fill(0, half, 2 * half - 1); // s = its last byte
  if (pattern === 6) raw[0] = 0x7f; // r without a sign byte
  if (pattern === 7) raw.fill(0); // both zero
  return raw;
}

describe("EcdsaDer", () => {
  for (const half of [32, 48, 66]) {
    it(`writes what a DER encoder writes for r ‖ s of ${2 * half} bytes`, () => {
      const der = new EcdsaDer(2 * half, alloc);
      for (let seed = 0; seed < 400; seed++) {
        const raw = patterned(half, seed);
        expect(Buffer.from(der.read(b64u(raw))!)).toEqual(referenceDer(raw));
      }
    });
  }

  for (const [curve, hash, length] of [
    ["P-256", "sha256", 64],
    ["P-384", "sha384", 96],
    ["P-521", "sha512", 132],
  ] as const) {
    it(`node:crypto accepts its ${curve} signatures as DER, and refuses them changed`, () => {
      const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: curve });
      const der = new EcdsaDer(length, alloc);
      for (let i = 0; i < 40; i++) {
        const input = `eyJhbGciOiJFUzI1NiJ9.${"x".repeat(i)}`;
        const raw = sign(hash, Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
        const verify = (bytes: Uint8Array) => createVerify(hash).update(input).verify(publicKey, bytes);
        expect(verify(der.read(b64u(raw))!)).toBe(true);
        const changed = Buffer.from(raw);
        changed[i % length] = changed[i % length]! ^ 1;
        expect(verify(der.read(b64u(changed))!)).toBe(false);
      }
    });
  }

  it("answers null for a signature text of another length", () => {
    const der = new EcdsaDer(64, alloc);
    expect(der.read(b64u(new Uint8Array(63)))).toBeNull();
    expect(der.read(b64u(new Uint8Array(65)))).toBeNull();
    expect(der.read(b64u(new Uint8Array(128)))).toBeNull();
    expect(der.read("")).toBeNull();
  });
});

describe("FixedSignature", () => {
  it("decodes texts of its length into one reused buffer and refuses any other length", () => {
    const fixed = new FixedSignature(256, alloc);
    const first = new Uint8Array(256).map((_, i) => i);
    const second = new Uint8Array(256).map((_, i) => 255 - i);
    const a = fixed.read(b64u(first))!;
    expect(Buffer.from(a)).toEqual(Buffer.from(first));
    const b = fixed.read(b64u(second))!;
    expect(b).toBe(a);
    expect(Buffer.from(b)).toEqual(Buffer.from(second));
    expect(fixed.read(b64u(new Uint8Array(255)))).toBeNull();
    expect(fixed.read(b64u(new Uint8Array(257)))).toBeNull();
    expect(fixed.read(b64u(new Uint8Array(512)))).toBeNull();
  });
});
