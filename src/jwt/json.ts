/**
 * Strict JSON for JOSE headers and JWT claims sets (RFC 7515 §4, RFC 7519 §7.2): an object at the top,
 * no duplicate member names at any depth, nesting no deeper than {@link MAX_JSON_DEPTH}.
 * @internal
 */
import { isWellFormed } from "../core/encoding.js";
import {
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  MAX_JSON_DEPTH,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
  readJsonObject,
  skipSpace,
  stringEnd,
} from "./json-reader.js";

// A text without an escape of a surrogate (`\uD800` to `\uDFFF`, or a backslash before such text) cannot
// decode to a lone surrogate: UTF-8 text carries none raw. Only a text with one has its strings walked.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

export { MAX_JSON_DEPTH };

/**
 * Parses `text` as a JSON object with no duplicate member names and at most {@link MAX_JSON_DEPTH}
 * levels; `null` for anything else. `JSON.parse` alone would let `{"alg":"HS256","alg":"none"}` mean
 * "none". `JSON.parse` makes `"__proto__"` an own member (no prototype is changed); claims are read as own
 * members only, so an inherited name such as `constructor` never counts as a claim.
 *
 * @internal
 */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  const value = parseStrict(text);
  // A lone surrogate (RFC 8259 §8.2) is text no UTF-8 can carry (PyJWT accepts it; we refuse). It is
  // judged on the decoded strings: `"\\ude00"` is a backslash and five letters, `"\ude00"` a lone surrogate.
  if (value !== null && text.includes("\\u") && SURROGATE_ESCAPE.test(text) && !wellFormed(value))
    return null;
  return value;
}

function parseStrict(text: string): Record<string, unknown> | null {
  const escapes = text.includes("\\");
  // With an escape in the text, a member name is only known once decoded: the full scanner decodes and
  // compares them itself. The count below trusts JSON.parse to decode names, which only holds when no
  // name has an escape; a name with one is never left to JSON.parse (see readJsonObject).
  const members = escapes ? NESTED : plainMembers(text);
  if (members === NESTED) {
    const scan = scanObject(text, true);
    if (scan === SCAN_REFUSED) return null;
    if (scan === SCAN_ESCAPED_NAME) return readJsonObject(text);
  } else if (members === REFUSED) {
    return null;
  }
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  // A flat object: JSON.parse made one own member per distinct name, so fewer members than the text
  // names means a name came twice ("__proto__" too: JSON.parse defines it as an own member).
  return members === NESTED || Object.keys(value).length === members ? value : null;
}

// Every string in the value, member names included, is well-formed UTF-16 (no unpaired surrogate).
function wellFormed(value: unknown): boolean {
  if (typeof value === "string") return isWellFormed(value);
  if (typeof value !== "object" || value === null) return true;
  if (Array.isArray(value)) return value.every(wellFormed);
  for (const name of Object.keys(value)) {
    if (!isWellFormed(name) || !wellFormed((value as Record<string, unknown>)[name])) return false;
  }
  return true;
}

const NESTED = -1;
const REFUSED = -2;

// The usual claims set: no backslash, no array, no object but the outer one (the checks are native
// scans; a '[' or '{' inside a string only sends the text down the slower path). Without a backslash
// every '"' delimits a string, in pairs; a string followed by ':' is a member name, and all names are
// the outer object's. The count is only trusted once JSON.parse has accepted the text.
function plainMembers(text: string): number {
  const open = skipSpace(text, 0);
  if (text.charCodeAt(open) !== OPEN_BRACE) return REFUSED;
  if (text.includes("[") || text.includes("{", open + 1)) return flatMembers(text);
  let members = 0;
  for (let start = text.indexOf('"', open); start !== -1; ) {
    const end = text.indexOf('"', start + 1);
    if (end === -1) return REFUSED;
    if (text.charCodeAt(skipSpace(text, end + 1)) === COLON) members++;
    start = text.indexOf('"', end + 1);
  }
  return members;
}

// The same count for any object of strings, numbers and arrays of them: the ':' outside strings at
// its own level (in valid JSON nothing else puts one there; JSON.parse checks the grammar after).
// NESTED when an object sits inside it: then isStrictJsonObject checks every level. REFUSED when it is
// no object or nests too deep.
function flatMembers(text: string): number {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return REFUSED;
  let depth = 1;
  let members = 0;
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i === -1) return REFUSED;
    } else if (c === COLON) {
      if (depth === 1) members++;
    } else if (c === OPEN_BRACKET) {
      if (depth >= MAX_JSON_DEPTH) return REFUSED;
      depth++;
    } else if (c === CLOSE_BRACKET) {
      depth--;
    } else if (c === OPEN_BRACE) {
      return NESTED;
    } else if (c === CLOSE_BRACE) {
      return members; // JSON.parse refuses whatever follows (or an unbalanced bracket before)
    }
  }
  return REFUSED;
}

/**
 * The full structural check, at every level (JSON.parse then checks the grammar): where objects open
 * and close, which member names each holds, and how deep it goes. {@link parseJsonObject} calls it for
 * texts with nested objects; the tests hold its fast paths to it.
 *
 * @internal
 */
export function isStrictJsonObject(text: string): boolean {
  return scanObject(text, false) !== SCAN_REFUSED;
}

const SCAN_REFUSED = 0;
const SCAN_PLAIN_NAMES = 1;
const SCAN_ESCAPED_NAME = 2;

/**
 * isStrictJsonObject's scan. With `handOver`, it stops at the first member name with an escape and
 * answers SCAN_ESCAPED_NAME: readJsonObject then checks the whole text itself.
 */
function scanObject(text: string, handOver: boolean): number {
  const stack: Array<Set<string> | null> = []; // a Set per open object, null per open array
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return SCAN_REFUSED;
  let expectKey = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end === -1) return SCAN_REFUSED;
      if (expectKey) {
        const keys = stack[stack.length - 1] as Set<string>;
        // The raw text names the member unless it has an escape ("a" and "\u0061" are one name).
        let name = text.slice(i + 1, end);
        if (name.includes("\\")) {
          if (handOver) return SCAN_ESCAPED_NAME;
          try {
            name = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            return SCAN_REFUSED;
          }
        }
        if (keys.has(name)) return SCAN_REFUSED;
        keys.add(name);
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (stack.length >= MAX_JSON_DEPTH) return SCAN_REFUSED;
      stack.push(c === OPEN_BRACE ? new Set() : null);
      expectKey = c === OPEN_BRACE;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      stack.pop();
      expectKey = false;
      if (stack.length === 0) return skipSpace(text, i + 1) === text.length ? SCAN_PLAIN_NAMES : SCAN_REFUSED;
    } else if (c === COMMA) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return SCAN_REFUSED;
}
