/**
 * A strict JSON object reader that decodes member names itself, for the texts whose names carry an
 * escape (`{"\u00e9":1}`, as Python's `json.dumps` writes any non-ASCII name). `JSON.parse` cannot be
 * trusted with those everywhere: the V8 15.0 in Deno 2.9 decodes an escaped one-character name such as
 * `"\u0061"` or `"\n"` as a backslash once an object with a `"\\"` member at the same place has been
 * parsed.
 * @internal
 */
/** The deepest nesting a header or claims set may have. */
export const MAX_JSON_DEPTH = 32;

/**
 * Reads `text` (RFC 8259) as {@link parseJsonObject} does: an object at the top, no member name twice in
 * one object once decoded, at most {@link MAX_JSON_DEPTH} levels; `null` for anything else. Strings and
 * numbers are decoded by `JSON.parse` one at a time (a string alone is decoded right); each object is
 * built here, `"__proto__"` as an own member as `JSON.parse` makes it.
 *
 * @internal
 */
export function readJsonObject(text: string): Record<string, unknown> | null {
  const reader = new Reader(text);
  const start = reader.space(0);
  if (text.charCodeAt(start) !== OPEN_BRACE) return null;
  const value = reader.value(start, 0);
  return value !== FAILED && reader.space(reader.at) === text.length
    ? (value as Record<string, unknown>)
    : null;
}

const FAILED: unique symbol = Symbol("failed");
type Read = unknown | typeof FAILED;

// RFC 8259 §6.
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Reader {
  /** Where the last value read ends. */
  at = 0;

  constructor(private readonly text: string) {}

  space(from: number): number {
    return skipSpace(this.text, from);
  }

  /** The value starting at `i` (no space before it), inside `depth` open objects and arrays. */
  value(i: number, depth: number): Read {
    const c = this.text.charCodeAt(i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth >= MAX_JSON_DEPTH) return FAILED;
      return c === OPEN_BRACE ? this.object(i + 1, depth + 1) : this.array(i + 1, depth + 1);
    }
    if (c === QUOTE) return this.string(i);
    for (const [word, literal] of LITERALS) {
      if (this.text.startsWith(word, i)) {
        this.at = i + word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(this.text);
    if (number === null) return FAILED;
    this.at = i + number[0].length;
    return Number(number[0]);
  }

  private string(i: number): Read {
    const end = stringEnd(this.text, i);
    if (end === -1) return FAILED;
    this.at = end + 1;
    try {
      return JSON.parse(this.text.slice(i, end + 1)) as string; // refuses a bad escape or a control character
    } catch {
      return FAILED;
    }
  }

  private object(from: number, depth: number): Read {
    const object: Record<string, unknown> = {};
    const names = new Set<string>();
    let i = this.space(from);
    if (this.text.charCodeAt(i) === CLOSE_BRACE) return this.close(i, object);
    for (;;) {
      if (this.text.charCodeAt(i) !== QUOTE) return FAILED;
      const name = this.string(i);
      if (name === FAILED || names.has(name as string)) return FAILED;
      names.add(name as string);
      i = this.space(this.at);
      if (this.text.charCodeAt(i) !== COLON) return FAILED;
      const value = this.value(this.space(i + 1), depth);
      if (value === FAILED) return FAILED;
      if (name === "__proto__") {
        Object.defineProperty(object, name, { value, writable: true, enumerable: true, configurable: true });
      } else {
        object[name as string] = value;
      }
      i = this.space(this.at);
      const c = this.text.charCodeAt(i);
      if (c === CLOSE_BRACE) return this.close(i, object);
      if (c !== COMMA) return FAILED;
      i = this.space(i + 1);
    }
  }

  private array(from: number, depth: number): Read {
    const array: unknown[] = [];
    let i = this.space(from);
    if (this.text.charCodeAt(i) === CLOSE_BRACKET) return this.close(i, array);
    for (;;) {
      const value = this.value(i, depth);
      if (value === FAILED) return FAILED;
      array.push(value);
      i = this.space(this.at);
      const c = this.text.charCodeAt(i);
      if (c === CLOSE_BRACKET) return this.close(i, array);
      if (c !== COMMA) return FAILED;
      i = this.space(i + 1);
    }
  }

  private close(i: number, value: unknown): unknown {
    this.at = i + 1;
    return value;
  }
}

const LITERALS: ReadonlyArray<readonly [string, unknown]> = [
  ["true", true],
  ["false", false],
  ["null", null],
];

/** The index of the quote that closes the string opening at `at`, or -1. */
export function stringEnd(text: string, at: number): number {
  // indexOf (native) rather than a loop; skip escaped quotes.
  let end = text.indexOf('"', at + 1);
  while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
  return end;
}

/** True when the quote at `at` is preceded by an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let slashes = 0;
  while (text.charCodeAt(at - 1 - slashes) === 92) slashes++;
  return slashes % 2 === 1;
}

/** The index of the first character from `from` on that is not JSON whitespace (RFC 8259 §2). */
export function skipSpace(text: string, from: number): number {
  let i = from;
  for (let c = text.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++i));
  return i;
}

export const QUOTE = 34;
export const COMMA = 44;
export const COLON = 58;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;
