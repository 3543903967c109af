/**
 * Strict JSON for JOSE headers and JWT claims sets (RFC 7515 §4, RFC 7519 §7.2): an object at the top,
 * no member name twice in one object (once decoded) at any depth, nesting no deeper than
 * {@link MAX_JSON_DEPTH}. A pre-scan, then `JSON.parse`.
 * @internal
 */
import { isWellFormed } from "../core/encoding.js";

/** The deepest nesting a header or claims set may have. */
export const MAX_JSON_DEPTH = 32;

/** The longest text read: a token is at most 8192 characters (jws.ts), its segments less. */
const MAX_JSON_LENGTH = 8192;

// Only a text with an escape of a surrogate (`\uD800` to `\uDFFF`) can decode to a lone surrogate:
// UTF-8 text carries none raw.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Parses `text` as a JSON object with no duplicate member names and at most {@link MAX_JSON_DEPTH}
 * levels; `null` for anything else. `JSON.parse` alone would let `{"alg":"HS256","alg":"none"}` mean
 * "none". `"__proto__"` is an own member, as `JSON.parse` makes it (no prototype is changed).
 *
 * @internal
 */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  if (text.length > MAX_JSON_LENGTH) return null;
  const scan = preScan(text);
  if (scan === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  // Needed on Deno 2.9 (tests/jwt/json.test.ts, 'decodes "%s" as %j after a "\\" member at the same place').
  if (scan.escapedName) value = rebuild(text, { at: 0 });
  // A lone surrogate (RFC 8259 §8.2) is text no UTF-8 can carry (PyJWT accepts it; we refuse it). It is
  // judged on the decoded strings: `"\\ude00"` is a backslash and five letters, `"\ude00"` a lone surrogate.
  const strings = text.includes("\\u") && SURROGATE_ESCAPE.test(text);
  // JSON.parse keeps one member per distinct (decoded) name: fewer members than the text has means a
  // name came twice somewhere.
  const members = scan.nested || strings ? count(value, strings) : Object.keys(value as object).length;
  return members === scan.members ? (value as Record<string, unknown>) : null;
}

interface Scan {
  /** Members in the whole text: the ':' outside strings (JSON.parse then checks the grammar). */
  members: number;
  /** An object or array inside the outer object. */
  nested: boolean;
  /** A member name with an escape. */
  escapedName: boolean;
}

// The structure outside strings: an object at the top, how deep it nests, how many members it has.
function preScan(text: string): Scan | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return null;
  const scan: Scan = { members: 0, nested: false, escapedName: false };
  let depth = 0;
  let slash = text.indexOf("\\"); // the next backslash, so each string is tested in constant time
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end === -1) return null;
      if (slash !== -1 && slash < i) slash = text.indexOf("\\", i);
      if (slash !== -1 && slash < end && text.charCodeAt(skipSpace(text, end + 1)) === COLON)
        scan.escapedName = true;
      i = end;
    } else if (c === COLON) {
      scan.members++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) return null;
      if (depth > 1) scan.nested = true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return scan;
}

// The members of every object in a parsed value; -1 when `strings` and a string is not well-formed.
function count(value: unknown, strings: boolean): number {
  if (typeof value === "string") return !strings || isWellFormed(value) ? 0 : -1;
  if (typeof value !== "object" || value === null) return 0;
  const names = Array.isArray(value) ? [] : Object.keys(value);
  if (strings && !names.every(isWellFormed)) return -1;
  let members = names.length;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const inner = count(item, strings);
    if (inner === -1) return -1;
    members += inner;
  }
  return members;
}

const PRIMITIVE_END = /[\s,\]}]|$/g;

// Reads again a text JSON.parse accepted, decoding each string alone (which every runtime does right).
function rebuild(text: string, cursor: { at: number }): unknown {
  const i = skipSpace(text, cursor.at);
  const c = text.charCodeAt(i);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
    PRIMITIVE_END.lastIndex = i + 1;
    cursor.at = c === QUOTE ? stringEnd(text, i) + 1 : PRIMITIVE_END.exec(text)!.index;
    return JSON.parse(text.slice(i, cursor.at));
  }
  const value: Record<string, unknown> | unknown[] = c === OPEN_BRACE ? {} : [];
  cursor.at = skipSpace(text, i + 1);
  if (text.charCodeAt(cursor.at) === c + 2) {
    cursor.at++; // empty: '{' + 2 is '}', '[' + 2 is ']'
    return value;
  }
  do {
    if (Array.isArray(value)) value.push(rebuild(text, cursor));
    else {
      const start = skipSpace(text, cursor.at);
      const end = stringEnd(text, start);
      cursor.at = skipSpace(text, end + 1) + 1; // past the ':'
      const name = JSON.parse(text.slice(start, end + 1)) as string;
      // As JSON.parse: "__proto__" an own member, a later duplicate replacing the first.
      Object.defineProperty(value, name, {
        value: rebuild(text, cursor),
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    cursor.at = skipSpace(text, cursor.at) + 1; // past ',' or the closing bracket
  } while (text.charCodeAt(cursor.at - 1) === COMMA);
  return value;
}

/** The index of the quote that closes the string opening at `at`, or -1 (quotes after an odd run of backslashes are escaped). */
function stringEnd(text: string, at: number): number {
  for (let end = text.indexOf('"', at + 1); end !== -1; end = text.indexOf('"', end + 1)) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) return end;
  }
  return -1;
}

// RFC 8259 §2: JSON whitespace.
function skipSpace(text: string, from: number): number {
  let i = from;
  for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  return i;
}

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
