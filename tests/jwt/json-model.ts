// A second reading of RFC 8259 for the JSON tests, written apart from src/jwt: the text is cut into
// tokens by one regular expression, then read by recursion over the tokens. Strings are decoded by
// JSON.parse one at a time (every runtime decodes a lone string right; Deno 2.9's V8 does not always
// decode an escaped member name right, see src/jwt/json.ts). The tests check this model against
// JSON.parse itself wherever no member name has an escape.

const TOKEN =
  /[ \t\n\r]*(?:([{}[\]:,])|("(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|(true|false|null))/y;

type Token = { punctuation: string } | { value: unknown };

function tokens(text: string): Token[] | null {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (match === null) return /^[ \t\n\r]*$/.test(text.slice(start)) ? out : null;
    const [, punctuation, string, number, literal] = match;
    if (punctuation !== undefined) out.push({ punctuation });
    else if (string !== undefined) out.push({ value: JSON.parse(string) as string });
    else if (number !== undefined) out.push({ value: Number(number) });
    else out.push({ value: literal === "true" ? true : literal === "false" ? false : null });
  }
  return out;
}

class Refused extends Error {}

/**
 * What a correct `JSON.parse` answers for `text` (`undefined` when it throws), or, with `strict`, what
 * portcullis must answer: `null` also for a top level other than an object, a member name twice in an
 * object (once decoded), or more than `maxDepth` levels.
 */
export function modelParse(text: string, strict?: { maxDepth: number }): unknown {
  const list = tokens(text);
  if (list === null || list.length === 0) return strict ? null : undefined;
  let at = 0;
  const next = (): Token => {
    const token = list[at++];
    if (token === undefined) throw new Refused();
    return token;
  };
  const is = (token: Token, punctuation: string): boolean =>
    "punctuation" in token && token.punctuation === punctuation;
  /** Takes the next token when it is `punctuation`. */
  const peek = (punctuation: string): boolean => {
    const token = list[at];
    if (token === undefined || !is(token, punctuation)) return false;
    at++;
    return true;
  };
  const value = (depth: number): unknown => {
    const token = next();
    if ("value" in token) return token.value;
    if (token.punctuation !== "{" && token.punctuation !== "[") throw new Refused();
    if (strict && depth >= strict.maxDepth) throw new Refused();
    if (token.punctuation === "[") {
      const array: unknown[] = [];
      if (peek("]")) return array;
      for (;;) {
        array.push(value(depth + 1));
        const after = next();
        if (is(after, "]")) return array;
        if (!is(after, ",")) throw new Refused();
      }
    }
    const object: Record<string, unknown> = {};
    if (peek("}")) return object;
    for (;;) {
      const name = next();
      if (!("value" in name) || typeof name.value !== "string") throw new Refused();
      if (strict && Object.hasOwn(object, name.value)) throw new Refused();
      if (!is(next(), ":")) throw new Refused();
      Object.defineProperty(object, name.value, {
        value: value(depth + 1),
        writable: true,
        enumerable: true,
        configurable: true,
      });
      const after = next();
      if (is(after, "}")) return object;
      if (!is(after, ",")) throw new Refused();
    }
  };
  try {
    if (strict && !is(list[0] as Token, "{")) return null;
    const result = value(0);
    if (at !== list.length) throw new Refused();
    return result;
  } catch (error) {
    if (error instanceof Refused) return strict ? null : undefined;
    throw error;
  }
}
