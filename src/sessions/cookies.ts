/**
 * Cookie headers, read strictly (RFC 6265 §4.2.1, §5.4) and written with exact attributes
 * (RFC 6265bis §4.1: `__Host-` cookies are `Secure`, `Path=/`, without `Domain`).
 */
import type { AuthRequest } from "../core/scheme.js";

/** A `Cookie` header longer than this is not parsed (the same limit as `Authorization`). */
export const MAX_COOKIE_HEADER_LENGTH = 8192;

/**
 * What {@link readCookie} found for one cookie name:
 * - `null`: the cookie is absent;
 * - `{ value }`: exactly one cookie of that name, with a value of RFC 6265 cookie-octets;
 * - `{ error }`: present, but not usable: sent twice (`"duplicate"`), with characters outside the
 *   cookie-octet set (`"malformed"`), or in a header over {@link MAX_COOKIE_HEADER_LENGTH} (`"too-long"`).
 *
 * @example
 * ```ts
 * const read: CookieRead = readCookie(request, "sessionid");
 * if (read !== null && "value" in read) console.log(read.value);
 * ```
 */
export type CookieRead =
  | null
  | {
      /** The cookie's value, without surrounding double quotes. */
      readonly value: string;
    }
  | {
      /** Why the cookie cannot be used. */
      readonly error: "duplicate" | "malformed" | "too-long";
    };

// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E: no CTLs, whitespace, DQUOTE, comma,
// semicolon or backslash.
const COOKIE_OCTETS = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;
// cookie-name = token (RFC 7230 tchar).
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Reads one cookie from the request's `Cookie` header by its exact, case-sensitive name. Other cookies
 * are skipped unread, so a neighbour's odd cookie never breaks authentication; the one asked for must
 * be well-formed and appear once.
 *
 * @param request - the request
 * @param name - the cookie name, exactly as it was set (`"sessionid"`, `"__Host-sessionid"`)
 * @returns see {@link CookieRead}
 * @example
 * ```ts
 * const read = readCookie(makeRequest({ cookies: { csrftoken: "abc" } }), "csrftoken");
 * // { value: "abc" }
 * ```
 */
export function readCookie(request: AuthRequest, name: string): CookieRead {
  const header = request.headers.get("cookie");
  if (header === null || !header.includes(name)) return null;
  if (header.length > MAX_COOKIE_HEADER_LENGTH) return { error: "too-long" };
  let found: string | undefined;
  for (const value of sentValues(header, name)) {
    if (found !== undefined) return { error: "duplicate" };
    if (!COOKIE_OCTETS.test(value)) return { error: "malformed" };
    found = value;
  }
  return found === undefined ? null : { value: found };
}

/**
 * Every well-formed value sent under one cookie name, in order (a name sent twice gives two). For
 * clean-up paths (logout, login) that must end every session a request names, not for authentication.
 *
 * @param request - the request
 * @param name - the exact cookie name
 * @returns the values made of cookie-octets; malformed ones are left out
 * @example
 * ```ts
 * readCookieValues(makeRequest({ headers: { cookie: "sid=a; sid=b" } }), "sid"); // ["a", "b"]
 * ```
 */
export function readCookieValues(request: AuthRequest, name: string): string[] {
  const header = request.headers.get("cookie");
  if (header === null || !header.includes(name)) return [];
  return sentValues(header, name).filter((value) => COOKIE_OCTETS.test(value));
}

// The values of every `name=value` pair in the header, in order, checked by the callers.
function sentValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const part of header.split(";")) {
    const equals = part.indexOf("=");
    if (equals === -1 || part.slice(0, equals).trim() !== name) continue;
    const value = part.slice(equals + 1).trim();
    // RFC 6265 §4.1.1: a value may be wrapped in double quotes, which are not part of it.
    const quoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"');
    values.push(quoted ? value.slice(1, -1) : value);
  }
  return values;
}

/** Attributes for {@link serializeCookie}. */
export interface CookieAttributes {
  /**
   * Seconds until the cookie expires; 0 deletes it. Also written as `Expires` for old clients. `null`
   * writes neither: a browser-session cookie, gone when the browser closes (Django's `max_age=None`).
   */
  maxAge: number | null;
  /** Hidden from `document.cookie`. */
  httpOnly: boolean;
  /** Sent over HTTPS only. */
  secure: boolean;
  /** Default `"Lax"`. */
  sameSite?: "Lax" | "Strict" | "None";
  /** Default `"/"`. */
  path?: string;
  /** The current time in milliseconds, for `Expires` (default `Date.now()`). */
  now?: number;
}

const EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT";
/** 400 days, the longest lifetime a browser keeps (RFC 6265bis §5.6.1, §5.6.2). */
const MAX_COOKIE_AGE = 400 * 86_400;

/**
 * One `Set-Cookie` line, as Django writes them (`Max-Age` and `Expires` together, or neither for a
 * browser-session cookie), never with a `Domain`.
 *
 * @param name - a cookie-name token
 * @param value - cookie-octets only
 * @param attributes - lifetime and flags
 * @returns the header value
 * @throws TypeError for a name or value that a browser would mangle, or a `__Host-` cookie that is not
 *   `Secure` with `Path=/`
 * @example
 * ```ts
 * serializeCookie("sessionid", id, { maxAge: 1_209_600, httpOnly: true, secure: false });
 * // "sessionid=<id>; Max-Age=1209600; Expires=…; Path=/; HttpOnly; SameSite=Lax"
 * serializeCookie("csrftoken", secret, { maxAge: null, httpOnly: false, secure: true });
 * // "csrftoken=<secret>; Path=/; Secure; SameSite=Lax"
 * ```
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name: ${JSON.stringify(name)}.`);
  if (!COOKIE_OCTETS.test(value)) throw new TypeError(`Invalid value for the ${name} cookie.`);
  const path = attributes.path ?? "/";
  // av-octet without ";" (RFC 6265 §4.1.1), so a path cannot smuggle in another attribute.
  if (!/^\/[\x20-\x3A\x3C-\x7E]*$/.test(path)) {
    throw new TypeError(`Invalid cookie path: ${JSON.stringify(path)}.`);
  }
  if (attributes.maxAge !== null && !Number.isFinite(attributes.maxAge)) {
    throw new RangeError(`Invalid Max-Age for the ${name} cookie: ${attributes.maxAge}.`);
  }
  if (/^__host-/i.test(name) && (!attributes.secure || path !== "/")) {
    throw new TypeError(`A __Host- cookie must be Secure with Path=/ (${name}).`);
  }
  if (/^__secure-/i.test(name) && !attributes.secure) {
    throw new TypeError(`A __Secure- cookie must be Secure (${name}).`);
  }
  if (attributes.sameSite === "None" && !attributes.secure) {
    throw new TypeError(`A SameSite=None cookie must be Secure (${name}).`);
  }
  let line = `${name}=${value}`;
  if (attributes.maxAge !== null) {
    // RFC 6265bis §5.6.2: user agents cap Max-Age at 400 days; a larger value is written capped.
    const maxAge = Math.min(MAX_COOKIE_AGE, Math.max(0, Math.floor(attributes.maxAge)));
    const expires =
      maxAge === 0 ? EPOCH : new Date((attributes.now ?? Date.now()) + maxAge * 1000).toUTCString();
    line += `; Max-Age=${maxAge}; Expires=${expires}`;
  }
  line += `; Path=${path}`;
  if (attributes.httpOnly) line += "; HttpOnly";
  if (attributes.secure) line += "; Secure";
  return `${line}; SameSite=${attributes.sameSite ?? "Lax"}`;
}
