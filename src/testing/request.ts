/**
 * Building requests and credentials for unit tests.
 */
import { encodeBase64, utf8 } from "../core/encoding.js";
import type { AuthRequest } from "../core/scheme.js";

/** Options for {@link makeRequest}. */
export interface MakeRequestOptions {
  /** Default `"GET"`; upper-cased. */
  method?: string;
  /** Default `"http://testserver/"` (Django's test host). */
  url?: string;
  /** Header names are case-insensitive; values are kept exactly, even ones a Fetch `Headers` would refuse. */
  headers?: Record<string, string> | Iterable<readonly [string, string]>;
  /** Joined into one `Cookie` header (`a=1; b=2`), after any `Cookie` given in `headers`. */
  cookies?: Record<string, string>;
}

/**
 * An {@link AuthRequest} for a unit test. Unlike `new Request(…)`, it accepts any header value
 * (control characters, non-latin-1 text, 1 MiB strings), so a scheme can be tested on hostile input.
 *
 * @param options - method, url, headers and cookies
 * @returns the request view
 * @example
 * ```ts
 * const request = makeRequest({ headers: { Authorization: basicAuthHeader("ada", "secret") } });
 * expect(await basic.authenticate(request)).toEqual({ user: ada, auth: null });
 * ```
 */
export function makeRequest(options: MakeRequestOptions = {}): AuthRequest {
  const headers = new Map<string, string>();
  const entries = options.headers ?? {};
  const pairs = Symbol.iterator in entries ? entries : Object.entries(entries);
  for (const [name, value] of pairs as Iterable<readonly [string, string]>) {
    const key = name.toLowerCase();
    const previous = headers.get(key);
    headers.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
  if (options.cookies !== undefined) {
    const cookie = Object.entries(options.cookies)
      .map(([name, value]) => `${name}=${value}`)
      .join("; ");
    const previous = headers.get("cookie");
    headers.set("cookie", previous ? `${previous}; ${cookie}` : cookie);
  }
  return {
    method: (options.method ?? "GET").toUpperCase(),
    url: options.url ?? "http://testserver/",
    headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
  };
}

/**
 * The `Authorization` value for HTTP Basic: `Basic base64(utf8(username ":" password))` (RFC 7617 §2.1).
 *
 * @param username - the user-id; it cannot contain a colon
 * @param password - the password, any text
 * @returns the header value
 * @throws TypeError when the username contains ":"
 * @example
 * ```ts
 * basicAuthHeader("Aladdin", "open sesame"); // "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7617#section-2
 */
export function basicAuthHeader(username: string, password: string): string {
  if (username.includes(":")) throw new TypeError("RFC 7617 §2: a Basic user-id cannot contain a colon.");
  return `Basic ${encodeBase64(utf8(`${username}:${password}`))}`;
}

/**
 * The `Authorization` value for an opaque token: `Token <token>` (DRF's keyword), or another keyword.
 *
 * @param token - the plaintext token
 * @param keyword - default `"Token"`
 * @returns the header value
 * @example
 * ```ts
 * const { token } = await tokenAuth.issue(user.id);
 * const request = makeRequest({ headers: { Authorization: tokenAuthHeader(token) } });
 * ```
 */
export function tokenAuthHeader(token: string, keyword = "Token"): string {
  return `${keyword} ${token}`;
}
