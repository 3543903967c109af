// parseJsonObject (a pre-scan, JSON.parse, and a second reading of texts with an escaped member name)
// must refuse and accept exactly what strict JSON does: tests/jwt/json-model.ts, itself held to
// JSON.parse wherever JSON.parse can be trusted (no escaped member name).
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseJsonObject } from "../../src/jwt/json.js";
import { JWTService } from "../../src/jwt/service.js";
import { modelParse } from "./json-model.js";
import { refused } from "./refused.js";

const reference = (text: string): unknown => modelParse(text, { maxDepth: MAX_JSON_DEPTH });

const agrees = (text: string): void => {
  const expected = reference(text);
  expect(parseJsonObject(text)).toEqual(expected);
};

function engine(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

// Member names that collide once decoded ("a" and "\u0061"), JSON.parse's own "__proto__", names that
// carry the characters the fast paths look for, and escaped one-character names (which Deno 2.9's V8
// decodes as "\\" once a "\\" member was parsed at the same place).
const COLLIDING = ["a", "b", "\\u0061", "__proto__", "constructor", 'x\\"y', "k:", "[", "{", "\\\\", ""];
const ONE_CHARACTER_ESCAPES = ["\\n", '\\"', "\\/", "\\u00e9", "\u00e9"];
const NAMES = [...COLLIDING, ...ONE_CHARACTER_ESCAPES];
const space = fc.constantFrom("", "", " ", "\n", "\t ");

const member = fc
  .tuple(fc.constantFrom(...NAMES), space, space, fc.json({ maxDepth: 2 }))
  .map(([name, s1, s2, value]) => `"${name}"${s1}:${s2}${value}`);

const objectText = fc
  .tuple(fc.array(member, { maxLength: 6 }), space, space)
  .map(([members, s1, s2]) => `${s1}{${members.join(",")}}${s2}`);

const edit = fc
  .tuple(objectText, fc.nat(), fc.constantFrom('"', ":", ",", "{", "}", "[", "]", "\\", " ", "1", ""))
  .map(([text, at, c]) => {
    const i = at % (text.length + 1);
    return `${text.slice(0, i)}${c}${text.slice(i + (c === "" ? 1 : 0))}`;
  });

describe("the JSON model the tests hold portcullis to", () => {
  it("answers as JSON.parse on every text without a backslash", () => {
    const same = (text: string): void => {
      if (!text.includes("\\")) expect(modelParse(text)).toEqual(engine(text));
    };
    fc.assert(fc.property(fc.json(), same), { numRuns: 2000 });
    fc.assert(fc.property(objectText, same), { numRuns: 2000 });
    fc.assert(fc.property(edit, same), { numRuns: 3000 });
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]:," -.0123456789eE+truefalsn \n\t') }), same),
      {
        numRuns: 3000,
      },
    );
  });

  it.each([
    ['{"a":"\\u00e9\\/\\n","b":["\\"",1e3,-0.5]}'],
    ['{"a":"\\ud83d\\ude00"}'],
    ['"\\u0041"'],
    ['{"a":"\\x"}'],
    ['{"a":"\\u00e"}'],
    ['{"a":"\t"}'],
    ["[1,]"],
    ['{"a":1,}'],
    ["01"],
    ["-"],
    ["1.e5"],
    [" \n[] "],
  ])("answers as JSON.parse on %s", (text) => {
    expect(modelParse(text)).toEqual(engine(text));
  });
});

describe("parseJsonObject", () => {
  it("agrees with strict JSON on objects of colliding names, nested values and spaces", () => {
    fc.assert(fc.property(objectText, agrees), { numRuns: 5000 });
  });

  it("agrees on any JSON text, and on every one-character edit of an object", () => {
    fc.assert(fc.property(fc.json(), agrees), { numRuns: 2000 });
    fc.assert(fc.property(edit, agrees), { numRuns: 5000 });
  });

  it.each([
    ['{"a":1,"b":2}', { a: 1, b: 2 }],
    ['{"a":":","b":"\\":"}', { a: ":", b: '":' }],
    ['{"a":"[{","b":["x","y:"]}', { a: "[{", b: ["x", "y:"] }],
    [' {"a" : 1 } ', { a: 1 }],
    ['{"__proto__":{"admin":true}}', JSON.parse('{"__proto__":{"admin":true}}')],
  ])("accepts %s", (text, expected) => {
    expect(parseJsonObject(text)).toEqual(expected);
  });

  it.each([
    ['{"a":1,"a":2}'],
    ['{"a":1,"\\u0061":2}'],
    ['{"__proto__":1,"__proto__":2}'],
    ['{"a":[1],"a":[2]}'],
    ['{"o":{"a":1,"a":2}}'],
    ['{"a":":","a":":"}'],
    ['{"a":1}{"b":2}'],
    ['{"a":1'],
    ['["a"]'],
    ['"a"'],
    ["1"],
    ["null"],
    [""],
    ['{"a":"\\ud800"}'],
    [`{"a":${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}}`],
    [`{"a":${'{"a":'.repeat(MAX_JSON_DEPTH)}1${"}".repeat(MAX_JSON_DEPTH)}}`],
  ])("refuses %s", (text) => {
    expect(parseJsonObject(text)).toBeNull();
  });

  // Issue #17 item 21: the lone-surrogate check reads the decoded strings, not the text.
  it.each([
    ['{"a":"\\\\ude00"}', { a: "\\ude00" }],
    ['{"a":"\\\\ud800"}', { a: "\\ud800" }],
    ['{"a":"\\\\\\\\ud800\\\\udc00"}', { a: "\\\\ud800\\udc00" }],
    ['{"\\\\udfff":1}', { "\\udfff": 1 }],
    ['{"a":["x","\\ud83d\\ude00"]}', { a: ["x", "\u{1F600}"] }],
    ['{"a":"\\uD83D\\uDE00"}', { a: "\u{1F600}" }],
  ])("accepts the escaped backslash before surrogate-like text, and real pairs: %s", (text, expected) => {
    expect(parseJsonObject(text)).toEqual(expected);
  });

  it.each([
    ['{"a":"\\ude00"}'],
    ['{"a":"\\uDC00x"}'],
    ['{"a":"x\\ud83d"}'],
    ['{"a":"\\\\ud800\\udc00"}'],
    ['{"a":"\\ud800\\\\udc00"}'],
    ['{"a":["ok",{"b":"\\udbff"}]}'],
    ['{"\\ud800":1}'],
    ['{"\\\\ud800\\udc00":1}'],
  ])("refuses a lone surrogate escape wherever it sits once decoded: %s", (text) => {
    expect(parseJsonObject(text)).toBeNull();
  });

  it("accepts nesting up to the limit", () => {
    const depth = MAX_JSON_DEPTH - 1;
    expect(parseJsonObject(`{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`)).not.toBeNull();
    expect(parseJsonObject(`{"a":${'{"a":'.repeat(depth - 1)}1${"}".repeat(depth - 1)}}`)).not.toBeNull();
  });
});

describe("escaped member names", () => {
  it("are read as strict JSON reads them, on any text", () => {
    const escaped = objectText.filter((text) => /"[^"]*\\[^"]*"\s*:/.test(text));
    fc.assert(fc.property(escaped, agrees), { numRuns: 3000 });
    fc.assert(fc.property(edit, agrees), { numRuns: 3000 });
  });

  it.each([
    ['{"\\u0061":1,"b":[{"\\n":true}]}', { a: 1, b: [{ "\n": true }] }],
    ['{"\\u005f_proto__":{"admin":true}}', JSON.parse('{"__proto__":{"admin":true}}')],
    ['{"a":{"\\u00e9":-0,"\\ud83d\\ude00":[null,false,"x"]}}', { a: { é: -0, "😀": [null, false, "x"] } }],
  ])("reads %s", (text, expected) => {
    const value = parseJsonObject(text);
    expect(value).toEqual(expected);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it.each([
    ['{"\\u0061":1,"a":2}'],
    ['{"\\u0061":1,}'],
    ['{"\\u0061" 1}'],
    ['{"\\u0061":01}'],
    ['{"\\u0061":tru}'],
    ['{"\\u0061":1} x'],
    ['{"\\x":1}'],
    ['["\\u0061"]'],
    [`{"\\u0061":${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}}`],
    [`{"\\u0061":${'{"a":'.repeat(MAX_JSON_DEPTH)}1${"}".repeat(MAX_JSON_DEPTH)}}`],
  ])("refuses %s", (text) => {
    expect(parseJsonObject(text)).toBeNull();
  });

  it("reads nesting up to the limit", () => {
    const depth = MAX_JSON_DEPTH - 1;
    const arrays = `{"\\u0061":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const objects = `{"\\u0061":${'{"a":'.repeat(depth - 1)}1${"}".repeat(depth - 1)}}`;
    expect(parseJsonObject(arrays)).toEqual(JSON.parse(arrays.replace("\\u0061", "a")));
    expect(parseJsonObject(objects)).toEqual(JSON.parse(objects.replace("\\u0061", "a")));
  });

  // Deno 2.9 (V8 15.0): once {"x":1,"\\":1} has been parsed, JSON.parse reads {"x":1,"\u0061":2} as
  // {"x":1,"\\":2}. This runs on every runtime of the matrix (scripts/test-runtimes.mjs).
  it.each([
    ["\\u0061", "a"],
    ["\\n", "\n"],
    ['\\"', '"'],
    ["\\u00e9", "é"],
    ["\\/", "/"],
  ])('decodes "%s" as %j after a "\\\\" member at the same place', (raw, name) => {
    for (let i = 0; i < 100; i++) {
      expect(parseJsonObject('{"x":1,"\\\\":1}')).toEqual({ x: 1, "\\": 1 });
      expect(parseJsonObject(`{"x":1,"${raw}":2}`)).toEqual({ x: 1, [name]: 2 });
    }
  });
});

describe("lone surrogates in a signed token (issue #17 item 21)", () => {
  const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
  const sign = (payload: string) => {
    const head = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url");
    const input = `${head}.${Buffer.from(payload).toString("base64url")}`;
    return `${input}.${createHmac("sha256", SECRET).update(input).digest("base64url")}`;
  };
  const payload = (note: string) =>
    `{"token_type":"access","exp":${Math.floor(Date.now() / 1000) + 60},"jti":"${"a".repeat(32)}","user_id":"1","note":"${note}"}`;

  it("accepts an escaped backslash before 'ude00' text, and refuses a real lone surrogate escape", async () => {
    for (const useNodeCrypto of [true, false]) {
      const jwt = new JWTService({ signingKey: SECRET, useNodeCrypto });
      await expect(jwt.validate(sign(payload("\\\\ude00")), "access")).resolves.toMatchObject({
        note: "\\ude00",
      });
      await refused(jwt.validate(sign(payload("\\ude00")), "access"), "Token is invalid");
      await refused(jwt.validate(sign(payload("\\\\ud800\\udc00")), "access"), "Token is invalid");
    }
  });
});
