/**
 * DRF's `Serializer` of `CharField`s, as far as login bodies need it: the same checks, messages and order.
 * @internal
 */
import type { ParsedBody } from "./body.js";
import { jsonResponse } from "./http.js";

/** A DRF `CharField`'s options (DRF's defaults: required, not null, not blank, trimmed). */
export interface CharFieldSpec {
  /** Missing → "This field is required." Default true; an optional missing field reads as `null`. */
  required?: boolean;
  /** `null` is a value (else "This field may not be null."). Default false. */
  allowNull?: boolean;
  /** `""` is a value (else "This field may not be blank."). Default false. */
  allowBlank?: boolean;
  /** Strip Python's whitespace from both ends (and count whitespace-only as blank). Default true. */
  trimWhitespace?: boolean;
  /** At most this many characters (code points). */
  maxLength?: number;
}

/** DRF's `NON_FIELD_ERRORS_KEY` default. */
export const NON_FIELD_ERRORS = "non_field_errors";

const MISSING: unique symbol = Symbol("missing");

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * @internal
 * DRF's `serializer.is_valid()` over `fields` (in their order): the validated values, or the 400 DRF
 * answers: `{"non_field_errors": ["No data provided"]}` for a JSON `null`,
 * `{"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}` for another non-object,
 * else every field's errors together, keyed by field (`{"username": [...], "password": [...]}`).
 */
export function validateFields<K extends string>(
  body: ParsedBody,
  fields: Readonly<Record<K, CharFieldSpec>>,
): Record<K, string | null> | Response {
  if (body.type === "json") {
    const { value } = body;
    if (value === null) return badRequest({ [NON_FIELD_ERRORS]: ["No data provided"] });
    if (typeof value !== "object" || Array.isArray(value)) {
      const message = `Invalid data. Expected a dictionary, but got ${pythonTypeName(value, body.text)}.`;
      return badRequest({ [NON_FIELD_ERRORS]: [message] });
    }
  }
  const values = {} as Record<K, string | null>;
  const errors: Record<string, string[]> = {};
  for (const name of Object.keys(fields) as K[]) {
    const outcome = runCharField(lookup(body, name), fields[name]);
    if (Array.isArray(outcome)) errors[name] = outcome;
    else values[name] = outcome;
  }
  return Object.keys(errors).length > 0 ? badRequest(errors) : values;
}

/** @internal A 400 with a DRF validation body (`{field: [messages]}`). */
export function badRequest(errors: Record<string, string[]>): Response {
  return jsonResponse(400, errors);
}

// Serializer field.get_value: a JSON member, or the last value of a form field (QueryDict.__getitem__).
function lookup(body: ParsedBody, name: string): unknown {
  if (body.type === "json") {
    const data = body.value as Record<string, unknown>;
    return Object.hasOwn(data, name) ? data[name] : MISSING;
  }
  if (body.type === "form") return body.fields.has(name) ? body.fields.getAll(name).at(-1) : MISSING;
  return MISSING;
}

// CharField.run_validation → to_internal_value → run_validators (every validator's message collected).
function runCharField(input: unknown, spec: CharFieldSpec): string | null | string[] {
  const trim = spec.trimWhitespace ?? true;
  if (input === MISSING) return (spec.required ?? true) ? ["This field is required."] : null;
  if (input === null) return spec.allowNull ? null : ["This field may not be null."];
  if (typeof input === "string" && (input === "" || (trim && pythonStrip(input) === ""))) {
    return spec.allowBlank ? "" : ["This field may not be blank."];
  }
  // "Lenient with basic numerics", nothing else (booleans, lists, objects, uploaded files).
  if (typeof input !== "string" && typeof input !== "number") return ["Not a valid string."];
  const raw = String(input);
  const value = trim ? pythonStrip(raw) : raw;

  const errors: string[] = [];
  if (spec.maxLength !== undefined && [...value].length > spec.maxLength) {
    errors.push(`Ensure this field has no more than ${spec.maxLength} characters.`);
  }
  if (value.includes("\0")) errors.push("Null characters are not allowed.");
  const surrogate = LONE_SURROGATE.exec(value);
  if (surrogate) {
    const codePoint = surrogate[0].charCodeAt(0).toString(16).toUpperCase();
    errors.push(`Surrogate characters are not allowed: U+${codePoint}.`);
  }
  return errors.length > 0 ? errors : value;
}

// Python's str.strip(): str.isspace() characters off both ends (JS's trim differs: \x1c-\x1f, \x85, \ufeff).
// Two index scans, linear: the regex /[…]+$/ it replaces was quadratic in a whitespace run (a 64 KiB
// body held the event loop for seconds).
function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonSpace(text.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

// str.isspace() on one UTF-16 unit (every such character is in the BMP).
function isPythonSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x1f);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

// `type(data).__name__` as Python's json module would have produced it.
function pythonTypeName(value: unknown, text: string): string {
  if (Array.isArray(value)) return "list";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  // json.loads gives an int for an integer literal, a float for anything with "." or an exponent.
  return /^[ \t\n\r]*-?(0|[1-9][0-9]*)[ \t\n\r]*$/.test(text) ? "int" : "float";
}
