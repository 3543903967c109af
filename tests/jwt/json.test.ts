// parseJsonObject's fast paths (a flat object counted by its quotes or its colons) must refuse and
// accept exactly what the full scanner does, with JSON.parse after it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isStrictJsonObject, MAX_JSON_DEPTH, parseJsonObject } from "../../src/jwt/json.js";

function reference(text: string): Record<string, unknown> | null {
  if (!isStrictJsonObject(text)) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

const agrees = (text: string): void => {
  expect(parseJsonObject(text)).toEqual(reference(text));
};

// Member names that collide once decoded ("a" and "\u0061"), JSON.parse's own "__proto__", and names
// that carry the characters the fast paths look for.
const NAMES = ["a", "b", "\\u0061", "__proto__", "constructor", 'x\\"y', "k:", "[", "{", "\\\\", ""];
const space = fc.constantFrom("", "", " ", "\n", "\t ");

const member = fc
  .tuple(fc.constantFrom(...NAMES), space, space, fc.json({ maxDepth: 2 }))
  .map(([name, s1, s2, value]) => `"${name}"${s1}:${s2}${value}`);

const objectText = fc
  .tuple(fc.array(member, { maxLength: 6 }), space, space)
  .map(([members, s1, s2]) => `${s1}{${members.join(",")}}${s2}`);

describe("parseJsonObject", () => {
  it("agrees with the full scanner on objects of colliding names, nested values and spaces", () => {
    fc.assert(fc.property(objectText, agrees), { numRuns: 5000 });
  });

  it("agrees on any JSON text, and on every one-character edit of an object", () => {
    fc.assert(fc.property(fc.json(), agrees), { numRuns: 2000 });
    const edit = fc
      .tuple(objectText, fc.nat(), fc.constantFrom('"', ":", ",", "{", "}", "[", "]", "\\", " ", "1", ""))
      .map(([text, at, c]) => {
        const i = at % (text.length + 1);
        return `${text.slice(0, i)}${c}${text.slice(i + (c === "" ? 1 : 0))}`;
      });
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

  it("accepts nesting up to the limit", () => {
    const depth = MAX_JSON_DEPTH - 1;
    expect(parseJsonObject(`{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`)).not.toBeNull();
    expect(parseJsonObject(`{"a":${'{"a":'.repeat(depth - 1)}1${"}".repeat(depth - 1)}}`)).not.toBeNull();
  });
});
