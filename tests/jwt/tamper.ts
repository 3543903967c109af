/**
 * `token` with the first character of its signature changed: always another signature (that character
 * carries six bits of the first byte; no spare bits), where replacing the last two characters with "AA"
 * leaves about one token in a thousand as it was.
 */
export function tampered(token: string): string {
  const at = token.lastIndexOf(".") + 1;
  return `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
}
