/**
 * The one Authorization header reader every scheme shares.
 */
import { AuthenticationFailed } from "./errors.js";
import type { AuthRequest } from "./scheme.js";

/** Longest Authorization header a scheme parses; a longer one with the scheme's keyword fails. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

/**
 * The credentials that follow a recognised keyword in the Authorization header.
 */
export interface AuthorizationCredentials {
  /** The keyword as configured (not as sent), for example `"Basic"`. */
  keyword: string;
  /** The whitespace-separated parts after the keyword; DRF checks for exactly one. */
  credentials: string[];
}

// DRF splits the latin-1 bytes with Python's bytes.split(): runs of ASCII whitespace only.
const WHITESPACE = /[ \t\n\r\v\f]+/;
const HAS_WHITESPACE = /[ \t\n\r\v\f]/;
const isWhitespace = (code: number): boolean => code === 32 || (code >= 9 && code <= 13);

/**
 * Reads `Authorization` (or `headerName`) when its keyword is one of `keywords`.
 *
 * - No header, an empty one, or another keyword: `null` (the scheme returns null; DRF does the same).
 * - The keyword is compared case-insensitively, ASCII only (RFC 7235 §2.1).
 * - The keyword is read first: only a header with one of `keywords` and longer than
 *   {@link MAX_AUTHORIZATION_LENGTH} fails, with `AuthenticationFailed` and nothing else parsed.
 *
 * @param request - the request to read
 * @param keywords - the accepted keywords, for example `["Basic"]`
 * @param headerName - the header to read, `"authorization"` by default
 * @returns the matched keyword and the parts after it, or `null`
 * @throws AuthenticationFailed when the header is oversized
 * @example
 * ```ts
 * const parsed = readAuthorization(request, ["Token", "Bearer"]);
 * if (parsed === null) return null;
 * if (parsed.credentials.length !== 1) throw new AuthenticationFailed("Invalid token header.");
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7235#section-2.1
 */
export function readAuthorization(
  request: AuthRequest,
  keywords: readonly string[],
  headerName = "authorization",
): AuthorizationCredentials | null {
  const header = request.headers.get(headerName);
  if (header === null) return null;

  let start = 0;
  while (start < header.length && isWhitespace(header.charCodeAt(start))) start++;
  // Scan no further than the longest keyword: a long first word is nobody's keyword.
  let longest = 0;
  for (const candidate of keywords) longest = Math.max(longest, candidate.length);
  const limit = Math.min(header.length, start + longest + 1);
  let end = start;
  while (end < limit && !isWhitespace(header.charCodeAt(end))) end++;
  if (end === start) return null;

  let keyword: string | undefined;
  for (const candidate of keywords) {
    if (asciiCaseInsensitiveEqual(header, start, end, candidate)) {
      keyword = candidate;
      break;
    }
  }
  if (keyword === undefined) return null;

  if (header.length > MAX_AUTHORIZATION_LENGTH) {
    throw new AuthenticationFailed(
      `Invalid ${keyword.toLowerCase()} header. Header is longer than ${MAX_AUTHORIZATION_LENGTH} characters.`,
    );
  }
  let from = end;
  while (from < header.length && isWhitespace(header.charCodeAt(from))) from++;
  if (from === header.length) return { keyword, credentials: [] };
  // The usual header has one part after the keyword: a native regex search beats a char loop.
  const rest = header.slice(from);
  const credentials = HAS_WHITESPACE.test(rest)
    ? rest.split(WHITESPACE).filter((part) => part !== "")
    : [rest];
  return { keyword, credentials };
}

function asciiCaseInsensitiveEqual(text: string, start: number, end: number, expected: string): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (asciiLower(text.charCodeAt(start + i)) !== asciiLower(expected.charCodeAt(i))) return false;
  }
  return true;
}

function asciiLower(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/**
 * A reader for the usual form of the header: one of `keywords` (ASCII case-insensitive), one space and
 * one credential made of `alphabet` characters, within {@link MAX_AUTHORIZATION_LENGTH}. Such a header is
 * exactly what {@link readAuthorization} splits into that one credential, so a scheme takes it without
 * the general scan and split, and reads any other header with {@link readAuthorization}.
 *
 * @param keywords - the accepted keywords, for example `["Token"]`
 * @param alphabet - the credential's characters as the inside of a regex character class, such as `A-Za-z0-9_-`
 * @param headerName - the header to read, `"authorization"` by default
 * @returns a function answering the credential, or `null` when the header is absent or not in that form
 * @example
 * ```ts
 * const usual = usualAuthorization(["Token"], "A-Za-z0-9_-");
 * const token = usual(request) ?? generalRead(request);
 * ```
 */
export function usualAuthorization(
  keywords: readonly string[],
  alphabet: string,
  headerName = "authorization",
): (request: AuthRequest) => string | null {
  // Without the u flag, i folds ASCII letters only: no other character matches a keyword's letter.
  const pattern = new RegExp(`^(?:${keywords.map(escapeRegExp).join("|")}) [${alphabet}]+$`, "i");
  return (request) => {
    const header = request.headers.get(headerName);
    if (header === null || header.length > MAX_AUTHORIZATION_LENGTH) return null;
    return pattern.test(header) ? header.slice(header.indexOf(" ") + 1) : null;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[$()*+.?[\\\]^{|}]/g, "\\$&");
}
